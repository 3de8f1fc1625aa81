import { Agent, PermissionDeniedError, configure } from '@agentsudo/core';
import { ToolMessage } from '@langchain/core/messages';
import { guardTools, ToolRefusedError } from '@agentsudo/langchain';
import { captureEvents } from '../../core/test/helpers';
import { SCOPES, callOf, scriptedAgent, supportBot, supportTools } from './support-tools';

beforeEach(() => configure({ transports: [] }));
afterEach(() => configure({ transports: [] }));

const thread = (id: string) => ({ configurable: { thread_id: id } });
const toolMessages = (messages: unknown[]) =>
  messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m));

describe('an agent run with guarded tools', () => {
  it('runs the allowed tool, and the model reads a denial naming the missing scope for the others', async () => {
    const events = captureEvents();
    const { ran, tools } = supportTools();
    const guarded = guardTools(tools, { agent: supportBot(), scopes: SCOPES });
    const agent = scriptedAgent(guarded, [
      callOf('get_customer', { id: 'c-42' }),
      callOf('process_refund', { orderId: 'o-7', amount: 120 }),
      callOf('drop_table', {}),
    ]);

    const { messages } = await agent.invoke(
      { messages: [{ role: 'user', content: 'refund o-7' }] },
      thread('t1'),
    );

    expect(ran).toEqual(['get_customer']);
    const [customer, refund, drop] = toolMessages(messages);
    expect(customer.content).toBe('Customer c-42: Ada Lovelace (served as SupportBot)');
    expect(refund).toMatchObject({
      status: 'error',
      tool_call_id: 'call_process_refund',
      content: "Permission denied: SupportBot lacks scope 'write:refunds' for tool 'process_refund'.",
    });
    expect(drop.content).toBe(
      "Permission denied: SupportBot lacks a declared scope for tool 'drop_table'. Reason: unlisted.",
    );
    // The run went on: the model's last turn read both refusals.
    const answer = String(messages[messages.length - 1].content);
    expect(answer).toContain("lacks scope 'write:refunds' for tool 'process_refund'");
    expect(answer).toContain("for tool 'drop_table'. Reason: unlisted.");

    const checks = events.events.filter((e) => e.action === 'permission_check');
    expect(checks.map((e) => [e.functionName, e.scope, e.allowed])).toEqual([
      ['get_customer', 'read:customers', true],
      ['process_refund', 'write:refunds', false],
      ['drop_table', undefined, false],
    ]);
    expect(checks[1]).toMatchObject({ agentName: 'SupportBot', agentId: 'support-bot-1', reason: 'scope' });
    expect(checks[2].metadata).toMatchObject({ reason: 'unlisted' });
  });

  it("a tool's own @Sudo calls are checked as the agent the tool runs for", async () => {
    const { ran, tools } = supportTools();
    const refunder = new Agent({ name: 'RefundBot', scopes: ['write:refunds'] }); // no write:ledger
    const agent = scriptedAgent(guardTools(tools, { agent: refunder, scopes: SCOPES }), [
      callOf('process_refund', { orderId: 'o-7', amount: 5 }),
    ]);

    const { messages } = await agent.invoke(
      { messages: [{ role: 'user', content: 'refund' }] },
      thread('t2'),
    );

    // The guard let the tool run; inside it, Ledger.write refused RefundBot, and LangChain
    // handed the tool's error to the model.
    expect(ran).toEqual(['process_refund']);
    const [refund] = toolMessages(messages);
    expect(refund.status).toBe('error');
    expect(String(refund.content)).toContain("lacks scope 'write:ledger'");
  });

  it('100 concurrent runs of different agents each see only their own agent', async () => {
    const runs = Array.from({ length: 100 }, async (_, i) => {
      const { tools } = supportTools();
      const agent = new Agent({ name: `Bot${i}`, scopes: ['read:customers'] });
      const run = scriptedAgent(guardTools(tools, { agent, scopes: SCOPES }), [
        callOf('get_customer', { id: `c-${i}` }, 'a'),
        callOf('get_customer', { id: `d-${i}` }, 'b'),
      ]);
      const { messages } = await run.invoke({ messages: [{ role: 'user', content: 'hi' }] }, thread(`c${i}`));
      return toolMessages(messages).map((m) => m.content);
    });

    const seen = await Promise.all(runs);

    seen.forEach((contents, i) =>
      expect(contents).toEqual([
        `Customer c-${i}: Ada Lovelace (served as Bot${i})`,
        `Customer d-${i}: Ada Lovelace (served as Bot${i})`,
      ]),
    );
  });

  it('a per-call agent function picks the agent from the run context', async () => {
    const { tools } = supportTools();
    const agents = new Map([['ana', new Agent({ name: 'AnaBot', scopes: ['read:customers'] })]]);
    const guarded = guardTools(tools, {
      agent: ({ config }) => agents.get(config?.configurable?.user as string)!,
      scopes: SCOPES,
    });
    const calls = [callOf('get_customer', { id: 'c-1' })];

    const known = await scriptedAgent(guarded, calls).invoke(
      { messages: [{ role: 'user', content: 'hi' }] },
      { configurable: { thread_id: 'u1', user: 'ana' } },
    );
    const unknown = await scriptedAgent(guarded, calls).invoke(
      { messages: [{ role: 'user', content: 'hi' }] },
      { configurable: { thread_id: 'u2', user: 'eve' } },
    );

    expect(toolMessages(known.messages)[0].content).toContain('served as AnaBot');
    expect(toolMessages(unknown.messages)[0].content).toBe(
      "Permission denied: no agent lacks scope 'read:customers' for tool 'get_customer'. Reason: no_agent.",
    );
  });

  it("onDeny: 'throw' throws PermissionDeniedError out of the tool, and ToolRefusedError for an unlisted tool", async () => {
    const { ran, tools } = supportTools();
    const [, refund, drop] = guardTools(tools, { agent: supportBot(), scopes: SCOPES, onDeny: 'throw' });
    const toolCall = (name: string, args: Record<string, unknown>) => ({
      ...callOf(name, args),
      type: 'tool_call' as const,
    });

    const refused = await refund
      .invoke(toolCall('process_refund', { orderId: 'o-7', amount: 1 }))
      .catch((e) => e);
    const unlisted = await drop.invoke(toolCall('drop_table', {})).catch((e) => e);

    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect(refused).toMatchObject({
      scope: 'write:refunds',
      reason: 'scope',
      functionName: 'process_refund',
    });
    expect(unlisted).toBeInstanceOf(ToolRefusedError);
    expect(unlisted).toMatchObject({ tool: 'drop_table', reason: 'unlisted', agentName: 'SupportBot' });
    expect(ran).toEqual([]);
  });

  it("onDeny: 'log' is audit mode: the call runs and is recorded as an audit violation", async () => {
    const events = captureEvents();
    const { ran, tools } = supportTools();
    const agent = scriptedAgent(guardTools(tools, { agent: supportBot(), scopes: SCOPES, onDeny: 'log' }), [
      callOf('process_refund', { orderId: 'o-7', amount: 1 }),
    ]);

    await agent.invoke({ messages: [{ role: 'user', content: 'x' }] }, thread('t5'));

    expect(ran).toEqual(['process_refund']);
    expect(events.events.find((e) => e.functionName === 'process_refund')).toMatchObject({
      action: 'audit_violation',
      scope: 'write:refunds',
    });
  });
});

describe('guardTools refuses a configuration it cannot enforce', () => {
  const { tools } = supportTools();

  it.each([
    [
      'an agent given by name',
      { agent: 'SupportBot', scopes: SCOPES },
      'agent must be an Agent or a function',
    ],
    [
      'a scope for a tool that is not there',
      { agent: supportBot(), scopes: { get_custmer: 'read:customers' } },
      "names tool 'get_custmer'",
    ],
    [
      'a scope with white space',
      { agent: supportBot(), scopes: { get_customer: ' read:customers' } },
      'scopes.get_customer',
    ],
    [
      'an unknown onDeny',
      { agent: supportBot(), scopes: SCOPES, onDeny: 'raise' },
      "onDeny must be 'result'",
    ],
    [
      'an unknown unlisted',
      { agent: supportBot(), scopes: SCOPES, unlisted: 'yes' },
      "unlisted must be 'deny'",
    ],
    [
      'audit mode with approval',
      { agent: supportBot(), scopes: SCOPES, onDeny: 'log', approval: () => true },
      "onDeny: 'log'",
    ],
    [
      'a blocking cloud approval',
      { agent: supportBot(), scopes: SCOPES, approval: { wait: true } },
      'approval.wait',
    ],
  ])('%s', (_, options, message) => {
    expect(() => guardTools(tools, options as never)).toThrow(message);
  });

  it('a tool guarded twice, and tools sharing a name', () => {
    const guarded = guardTools(tools, { agent: supportBot(), scopes: SCOPES });
    expect(() => guardTools(guarded, { agent: supportBot(), scopes: SCOPES })).toThrow('already guarded');
    expect(() => guardTools([tools[0], tools[0]], { agent: supportBot(), scopes: {} })).toThrow('unique');
  });
});
