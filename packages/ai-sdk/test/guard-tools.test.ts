import { generateText, isStepCount, streamText, tool } from 'ai';
import { z } from 'zod';
import { Agent, configure, currentAgent, currentSession, sudo } from '@agentsudo/core';
import { guardTools } from '@agentsudo/ai-sdk';
import { captureEvents } from '../../core/test/helpers';
import { scriptedModel, toolResultsSeen, type ScriptedCall } from './scripted-model';

/**
 * guardTools in the AI SDK's own agent loop: generateText and streamText with a scripted
 * mock model that calls an allowed tool, a denied one and one with no scope.
 */
const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });

afterEach(() => configure({ transports: [] }));

function supportTools(ran: string[]) {
  // A service method guarded with @Sudo semantics: inside a tool it is checked as the run's agent.
  const readLedger = sudo('read:customers', (id: string) => `ledger of ${id}`, { name: 'Ledger.read' });
  return {
    getCustomer: tool({
      inputSchema: z.object({ id: z.string() }),
      execute: async ({ id }) => {
        ran.push(`getCustomer:${currentAgent()?.name}`);
        return { id, name: 'John Doe', ledger: readLedger(id) };
      },
    }),
    processRefund: tool({
      inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
      execute: async ({ orderId, amount }) => {
        ran.push('processRefund');
        return `refunded ${amount} on ${orderId}`;
      },
    }),
    deleteAccount: tool({
      inputSchema: z.object({ id: z.string() }),
      execute: async () => {
        ran.push('deleteAccount');
        return 'deleted';
      },
    }),
  };
}

const scopes = { getCustomer: 'read:customers', processRefund: 'write:refunds' };
const calls: ScriptedCall[] = [
  { toolCallId: 'call-1', toolName: 'getCustomer', input: { id: 'c-42' } },
  { toolCallId: 'call-2', toolName: 'processRefund', input: { orderId: 'o-7', amount: 120 } },
  { toolCallId: 'call-3', toolName: 'deleteAccount', input: { id: 'c-42' } },
];

const DENIED_REFUND = "Permission denied: SupportBot lacks scope 'write:refunds' for tool 'processRefund'.";
const DENIED_UNLISTED =
  "Permission denied: SupportBot lacks scope '(none declared)' for tool 'deleteAccount'. Reason: unlisted.";

describe.each([
  [
    'generateText',
    async (model: ReturnType<typeof scriptedModel>, tools: Record<string, any>) =>
      (await generateText({ model, tools, prompt: 'Refund order o-7', stopWhen: isStepCount(3) })).text,
  ],
  [
    'streamText',
    async (model: ReturnType<typeof scriptedModel>, tools: Record<string, any>) => {
      const result = streamText({ model, tools, prompt: 'Refund order o-7', stopWhen: isStepCount(3) });
      return await result.text;
    },
  ],
])('guardTools with %s', (_name, runAgent) => {
  it('runs the allowed tool as the agent; the denied and unlisted calls become results the model reads', async () => {
    const events = captureEvents((action) => action === 'permission_check');
    const ran: string[] = [];
    const model = scriptedModel(calls);
    const text = await runAgent(model, guardTools(supportTools(ran), { agent: supportBot, scopes }));

    expect(text).toBe('Done.');
    expect(ran).toEqual(['getCustomer:SupportBot']);
    expect(toolResultsSeen(model)).toEqual({
      getCustomer: { type: 'json', value: { id: 'c-42', name: 'John Doe', ledger: 'ledger of c-42' } },
      processRefund: { type: 'text', value: DENIED_REFUND },
      deleteAccount: { type: 'text', value: DENIED_UNLISTED },
    });
    const checks = events.events.map((e) => [e.functionName, e.scope, e.allowed, e.agentName]);
    expect(checks).toEqual(
      expect.arrayContaining([
        ['getCustomer', 'read:customers', true, 'SupportBot'],
        ['Ledger.read', 'read:customers', true, 'SupportBot'],
        ['processRefund', 'write:refunds', false, 'SupportBot'],
        ['deleteAccount', undefined, false, 'SupportBot'],
      ]),
    );
    expect(checks).toHaveLength(4);
  });

  it("onDeny 'throw' makes the refusal a PermissionDeniedError the AI SDK reports as a tool error", async () => {
    const ran: string[] = [];
    const model = scriptedModel([calls[1]]);
    await runAgent(model, guardTools(supportTools(ran), { agent: supportBot, scopes, onDeny: 'throw' }));
    expect(ran).toEqual([]);
    expect(toolResultsSeen(model).processRefund).toEqual({
      type: 'error-text',
      value: expect.stringContaining("Agent 'SupportBot' lacks scope 'write:refunds'"),
    });
  });

  it("onDeny 'log' runs the call the agent lacks the scope for and records an audit violation", async () => {
    const events = captureEvents((action) => action === 'audit_violation');
    const ran: string[] = [];
    const model = scriptedModel([calls[1]]);
    await runAgent(model, guardTools(supportTools(ran), { agent: supportBot, scopes, onDeny: 'log' }));
    expect(ran).toEqual(['processRefund']);
    expect(events.events.map((e) => [e.functionName, e.scope, e.allowed])).toEqual([
      ['processRefund', 'write:refunds', false],
    ]);
  });
});

test('100 concurrent runs of different agents each run their tool calls in their own session', async () => {
  const seen: Array<{ run: number; agent?: string; session?: string }> = [];
  const lookup = tool({
    inputSchema: z.object({ run: z.number() }),
    execute: async ({ run }) => {
      const before = currentSession()?.id;
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      expect(currentSession()?.id).toBe(before);
      seen.push({ run, agent: currentAgent()?.name, session: before });
      return run;
    },
  });
  await Promise.all(
    Array.from({ length: 100 }, (_, run) => {
      const agent = new Agent({ name: `Bot${run}`, scopes: ['read:runs'] });
      // Two parallel calls of the same tool in one step: each gets a session of its own.
      const model = scriptedModel([
        { toolCallId: `a-${run}`, toolName: 'lookup', input: { run } },
        { toolCallId: `b-${run}`, toolName: 'lookup', input: { run } },
      ]);
      const tools = guardTools({ lookup }, { agent, scopes: { lookup: 'read:runs' } });
      return generateText({ model, tools, prompt: 'go', stopWhen: isStepCount(2) });
    }),
  );
  expect(seen).toHaveLength(200);
  for (const { run, agent } of seen) expect(agent).toBe(`Bot${run}`);
  expect(new Set(seen.map((s) => s.session)).size).toBe(200);
});

test('the agent function picks the agent per call from the tool context', async () => {
  const ran: string[] = [];
  const admin = new Agent({ name: 'AdminBot', scopes: ['read:customers', 'write:refunds'] });
  const model = scriptedModel([calls[1]]);
  const tools = guardTools(supportTools(ran), {
    agent: ({ context }) =>
      (context as { role?: string } | undefined)?.role === 'admin' ? admin : supportBot,
    scopes,
    unlisted: 'allow',
  });
  await generateText({
    model,
    tools,
    toolsContext: { processRefund: { role: 'admin' } } as never,
    prompt: 'Refund',
    stopWhen: isStepCount(2),
  });
  expect(ran).toEqual(['processRefund']);
});

test('bad options are refused with what to write instead', () => {
  const tools = supportTools([]);
  expect(() => guardTools(tools, { agent: supportBot, scopes: { getCustomr: 'read:customers' } })).toThrow(
    /scopes\.getCustomr names no tool of the set/,
  );
  expect(() => guardTools(tools, { agent: supportBot, scopes, onDeny: 'raise' as never })).toThrow(
    /onDeny must be 'result' \(the default\), 'throw' or 'log', got "raise"/,
  );
  expect(() => guardTools(tools, { agent: 'SupportBot' as never, scopes })).toThrow(/agent must be an Agent/);
  expect(() => guardTools(tools, { agent: supportBot, scopes, onDeny: 'log', approval: () => true })).toThrow(
    /nothing to approve/,
  );
});
