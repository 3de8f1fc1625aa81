import { Agent, configure, currentAgent, currentSession, PermissionDeniedError, sudo } from '@agentsudo/core';
import { closeApprovalStreams } from '@agentsudo/transport-cloud';
import { Agent as SdkAgent, ToolCallError, run, tool, type FunctionTool } from '@openai/agents';
import { z } from 'zod';
import { guardTools, type GuardToolsOptions } from '@agentsudo/openai-agents';
import { captureEvents } from '../../core/test/helpers';
import { callTools, say, ScriptedTurns, type Turn } from './scripted-model';

/**
 * The OpenAI Agents SDK's own loop (`run()`), with a scripted model: what the model is shown
 * for allowed and refused tool calls, what runs, the events, and sessions per run.
 */
afterEach(() => configure({ transports: [] }));

const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });

/** The support tools; `ran` lists the calls that ran, as `name(args)`. */
function supportTools() {
  const ran: string[] = [];
  const getCustomer = tool({
    name: 'getCustomer',
    description: 'Look a customer up',
    parameters: z.object({ id: z.string() }),
    execute: async ({ id }) => (ran.push(`getCustomer(${id})`), JSON.stringify({ id, name: 'John Doe' })),
  });
  const deleteCustomer = tool({
    name: 'deleteCustomer',
    description: 'Delete a customer',
    parameters: z.object({ id: z.string() }),
    execute: async ({ id }) => (ran.push(`deleteCustomer(${id})`), 'deleted'),
  });
  return { ran, tools: [getCustomer, deleteCustomer] };
}

const SCOPES = { getCustomer: 'read:customers', deleteCustomer: 'delete:customers' };

function sdkAgent(turns: Turn[], tools: FunctionTool<any, any, any>[], options: GuardToolsOptions) {
  const model = new ScriptedTurns(turns);
  const agent = new SdkAgent({
    name: 'Support',
    instructions: 'Help.',
    model,
    tools: guardTools(tools, options),
  });
  return { model, agent };
}

describe('guardTools in a run', () => {
  it('runs the allowed tool, and the model reads a denial naming the missing scope for the other', async () => {
    const events = captureEvents();
    const { ran, tools } = supportTools();
    const { model, agent } = sdkAgent(
      [
        callTools(['getCustomer', { id: 'c-42' }, 'call_1'], ['deleteCustomer', { id: 'c-42' }, 'call_2']),
        say('Sorry.'),
      ],
      tools,
      { agent: supportBot, scopes: SCOPES },
    );

    const result = await run(agent, 'Delete customer c-42');

    expect(result.finalOutput).toBe('Sorry.');
    expect(ran).toEqual(['getCustomer(c-42)']);
    expect(model.toolResults()).toEqual({
      call_1: '{"id":"c-42","name":"John Doe"}',
      call_2: "Permission denied: SupportBot lacks scope 'delete:customers' for tool 'deleteCustomer'.",
    });
    const checks = events.events.map((e) => [e.functionName, e.scope, e.allowed, e.agentName]);
    expect(checks).toEqual(
      expect.arrayContaining([
        ['getCustomer', 'read:customers', true, 'SupportBot'],
        ['deleteCustomer', 'delete:customers', false, 'SupportBot'],
      ]),
    );
    expect(events.events.filter((e) => e.action === 'permission_check')).toHaveLength(2);
  });

  it('refuses a tool missing from scopes, unless unlisted is allow', async () => {
    const { ran, tools } = supportTools();
    const denied = sdkAgent([callTools(['deleteCustomer', { id: 'c-1' }, 'c1']), say('ok')], tools, {
      agent: supportBot,
      scopes: { getCustomer: 'read:customers' },
    });
    await run(denied.agent, 'go');
    expect(denied.model.toolResults().c1).toBe(
      "Permission denied: SupportBot lacks scope '(none declared)' for tool 'deleteCustomer'. Reason: unlisted.",
    );
    expect(ran).toEqual([]);

    const allowed = sdkAgent([callTools(['deleteCustomer', { id: 'c-1' }, 'c1']), say('ok')], tools, {
      agent: supportBot,
      scopes: { getCustomer: 'read:customers' },
      unlisted: 'allow',
    });
    await run(allowed.agent, 'go');
    expect(ran).toEqual(['deleteCustomer(c-1)']);
  });

  it("onDeny: 'throw' fails the run with PermissionDeniedError; 'log' runs the call and records an audit violation", async () => {
    const { ran, tools } = supportTools();
    const throwing = sdkAgent([callTools(['deleteCustomer', { id: 'c-1' }, 'c1']), say('ok')], tools, {
      agent: supportBot,
      scopes: SCOPES,
      onDeny: 'throw',
    });
    const failure = await run(throwing.agent, 'go').then(
      () => undefined,
      (e: unknown) => e,
    );
    // The SDK wraps what a tool throws in its ToolCallError, keeping it as `error`.
    expect(failure).toBeInstanceOf(ToolCallError);
    const denial = (failure as ToolCallError).error;
    expect(denial).toBeInstanceOf(PermissionDeniedError);
    expect(denial).toMatchObject({ scope: 'delete:customers', reason: 'scope', agentName: 'SupportBot' });
    expect(ran).toEqual([]);

    const events = captureEvents();
    const logging = sdkAgent([callTools(['deleteCustomer', { id: 'c-1' }, 'c1']), say('ok')], tools, {
      agent: supportBot,
      scopes: SCOPES,
      onDeny: 'log',
    });
    await run(logging.agent, 'go');
    expect(ran).toEqual(['deleteCustomer(c-1)']);
    expect(events.events.map((e) => `${e.action} ${e.functionName}`)).toContain(
      'audit_violation deleteCustomer',
    );
  });

  it('each tool call runs in the session of its run’s agent: 100 concurrent runs of different agents', async () => {
    // An @Sudo-style function inside the tool is checked as the run's agent.
    const whoAmI = sudo(
      'read:customers',
      () => ({ agent: currentAgent()!.name, session: currentSession()!.id }),
      {
        name: 'Directory.whoAmI',
      },
    );
    const seen = tool({
      name: 'whoami',
      description: 'Who is calling',
      parameters: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        await new Promise((r) => setTimeout(r, n % 7)); // interleave the runs
        return JSON.stringify(whoAmI());
      },
    });
    const agents = Array.from(
      { length: 100 },
      (_, i) => new Agent({ name: `Bot-${i}`, scopes: i % 10 === 9 ? [] : ['read:customers'] }),
    );
    const models: ScriptedTurns[] = [];
    const runs = agents.map((_, i) => {
      const model = new ScriptedTurns([
        callTools(['whoami', { n: i }, 'a'], ['whoami', { n: i + 1 }, 'b']),
        say('done'),
      ]);
      models.push(model);
      const agent = new SdkAgent({
        name: 'Concurrent',
        model,
        tools: guardTools([seen], {
          agent: (context: { bot: Agent }) => context.bot,
          scopes: { whoami: 'read:customers' },
        }),
      });
      return run(agent, 'who?', { context: { bot: agents[i] } });
    });

    await Promise.all(runs);

    const sessions = new Set<string>();
    models.forEach((model, i) => {
      const { a, b } = model.toolResults();
      if (i % 10 === 9) {
        expect(a).toBe(`Permission denied: Bot-${i} lacks scope 'read:customers' for tool 'whoami'.`);
        return;
      }
      const first = JSON.parse(a) as { agent: string; session: string };
      const second = JSON.parse(b) as { agent: string; session: string };
      expect([first.agent, second.agent]).toEqual([`Bot-${i}`, `Bot-${i}`]);
      // Parallel calls of one run do not share a session either.
      expect(first.session).not.toBe(second.session);
      sessions.add(first.session).add(second.session);
    });
    expect(sessions.size).toBe(90 * 2);
  });

  it('refuses at once what cannot be guarded or is misspelled', () => {
    const { tools } = supportTools();
    expect(() => guardTools(tools, { agent: supportBot, scopes: { getCustomr: 'read:customers' } })).toThrow(
      /scopes names tool 'getCustomr', which is not among the tools \(getCustomer, deleteCustomer\)/,
    );
    expect(() =>
      guardTools([{ type: 'hosted_tool', name: 'web_search' } as never], { agent: supportBot, scopes: {} }),
    ).toThrow(/tools\[0\] is a 'hosted_tool' tool, not a function tool/);
    expect(() => guardTools([tools[0], tools[0]], { agent: supportBot, scopes: {} })).toThrow(
      /two tools are named 'getCustomer'/,
    );
    expect(() => guardTools(tools, { agent: supportBot, scopes: SCOPES, onDeny: 'raise' as never })).toThrow(
      /onDeny must be 'result' \(the default\), 'throw' or 'log', got "raise"/,
    );
    expect(() => guardTools(tools, { agent: 'SupportBot' as never, scopes: SCOPES })).toThrow(
      /agent must be an Agent from @agentsudo\/core or a function/,
    );
  });
});

afterAll(() => closeApprovalStreams());
