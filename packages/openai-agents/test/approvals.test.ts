import { Agent, configure } from '@agentsudo/core';
import { closeApprovalStreams } from '@agentsudo/transport-cloud';
import { Agent as SdkAgent, RunState, run, tool } from '@openai/agents';
import { z } from 'zod';
import { guardTools } from '@agentsudo/openai-agents';
import { freshDatabase, jsonOf, startServer, type TestServer, signIn } from '../../server/test/helpers';
import { callTools, say, ScriptedTurns } from './scripted-model';

/**
 * Approvals through the SDK's own flow against a real AgentSudo server on 127.0.0.1
 * (PostgreSQL): the tool is marked needsApproval, the run stops at an interruption while
 * the server holds the request, a person decides on the dashboard, and the run resumed from
 * its serialised RunState executes the call only when the server says approved.
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
let t: TestServer;
let db: { drop(): Promise<void> };
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  const fresh = await freshDatabase();
  db = fresh;
  t = await startServer({ databaseUrl: fresh.url });
  session = await signIn(t, LOGIN);
}, 60_000);
afterAll(async () => {
  closeApprovalStreams();
  configure({ transports: [] });
  await t?.server.close();
  await db?.drop();
});

/** A person deciding on the dashboard. */
async function decide(id: string, decision: 'approve' | 'deny'): Promise<void> {
  const res = await fetch(`${t.url}/api/projects/${t.projectId}/approvals/${id}/decision`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ decision }),
  });
  expect(res.status).toBe(200);
}

/** The project's approvals as the dashboard lists them, newest first. */
async function approvals(): Promise<Array<Record<string, any>>> {
  const res = await fetch(`${t.url}/api/projects/${t.projectId}/approvals`, {
    headers: { cookie: session.cookie },
  });
  return (await jsonOf<{ approvals: Array<Record<string, any>> }>(res)).approvals;
}

/** A refund agent whose processRefund asks for approval; the model calls it, then answers. */
function refundRun(bot: Agent) {
  const ran: string[] = [];
  const processRefund = tool({
    name: 'processRefund',
    description: 'Refund an order',
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async ({ orderId, amount }) => (ran.push(`${orderId} ${amount}`), `refunded ${amount} EUR`),
  });
  const model = new ScriptedTurns([
    callTools(['processRefund', { orderId: 'o-7', amount: 120 }, 'call_refund']),
    say('Done.'),
  ]);
  const agent = new SdkAgent({
    name: 'Refunds',
    model,
    tools: guardTools([processRefund], {
      agent: bot,
      scopes: { processRefund: 'write:refunds' },
      approval: {
        endpoint: t.url,
        apiKey: t.apiKey,
        describe: (input: { orderId: string; amount: number }) =>
          `Refund ${input.amount} EUR on ${input.orderId}`,
      },
    }),
  });
  return { ran, model, agent };
}

/** Runs until the approval interruption and returns the state as the app would store it. */
async function interrupted(r: ReturnType<typeof refundRun>) {
  const result = await run(r.agent, 'Refund order o-7');
  expect(result.interruptions).toHaveLength(1);
  expect(result.interruptions[0]).toMatchObject({ toolName: 'processRefund' });
  return result.state.toString();
}

describe('approvals in the OpenAI Agents SDK flow', () => {
  it('interrupts with the request on the server; a dashboard approval lets the resumed run execute the call once', async () => {
    const bot = new Agent({ name: `RefundBot-${Date.now()}`, scopes: [] });
    const r = refundRun(bot);
    const stored = await interrupted(r);
    expect(r.ran).toEqual([]);
    const [asked] = (await approvals()).filter((a) => a.agent_name === bot.name);
    expect(asked).toMatchObject({
      status: 'pending',
      scope: 'write:refunds',
      function_name: 'processRefund',
      description: 'Refund 120 EUR on o-7',
    });

    await decide(asked.id, 'approve');
    const state = await RunState.fromString(r.agent, stored);
    for (const item of state.getInterruptions()) state.approve(item);
    const resumed = await run(r.agent, state);

    expect(resumed.finalOutput).toBe('Done.');
    expect(r.ran).toEqual(['o-7 120']);
    expect(r.model.toolResults()).toEqual({ call_refund: 'refunded 120 EUR' });
    const [used] = (await approvals()).filter((a) => a.id === asked.id);
    expect(used.consumed_at).toEqual(expect.any(String));
  });

  it('a resumed run that is not approved in the app still runs once the dashboard approved', async () => {
    const bot = new Agent({ name: `RefundBot-${Date.now()}-b`, scopes: [] });
    const r = refundRun(bot);
    const stored = await interrupted(r);
    const [asked] = (await approvals()).filter((a) => a.agent_name === bot.name);

    await decide(asked.id, 'approve');
    const resumed = await run(r.agent, await RunState.fromString(r.agent, stored));

    expect(resumed.interruptions).toHaveLength(0);
    expect(r.ran).toEqual(['o-7 120']);
  });

  it('a serialised state that claims approval while the server has not approved does not run the tool', async () => {
    const bot = new Agent({ name: `RefundBot-${Date.now()}-c`, scopes: [] });
    const r = refundRun(bot);
    const stored = await interrupted(r);
    // The client-held state is edited to say "approved"; the server still holds it pending.
    const forged = await RunState.fromString(r.agent, stored);
    for (const item of forged.getInterruptions()) forged.approve(item);
    const tampered = forged.toString();

    const resumed = await run(r.agent, await RunState.fromString(r.agent, tampered));

    expect(r.ran).toEqual([]);
    expect(r.model.toolResults()).toEqual({
      call_refund:
        'Permission denied: ' +
        bot.name +
        " lacks scope 'write:refunds' for tool 'processRefund'. Reason: approval_pending.",
    });
    expect(resumed.finalOutput).toBe('Done.');
    const [asked] = (await approvals()).filter((a) => a.agent_name === bot.name);
    expect(asked).toMatchObject({ status: 'pending' });
    expect(asked.consumed_at).toBeUndefined();
  });

  it('a dashboard denial wins over an approval in the app: the tool does not run and the model reads why', async () => {
    const bot = new Agent({ name: `RefundBot-${Date.now()}-d`, scopes: [] });
    const r = refundRun(bot);
    const stored = await interrupted(r);
    const [asked] = (await approvals()).filter((a) => a.agent_name === bot.name);

    await decide(asked.id, 'deny');
    const state = await RunState.fromString(r.agent, stored);
    for (const item of state.getInterruptions()) state.approve(item);
    await run(r.agent, state);

    expect(r.ran).toEqual([]);
    expect(r.model.toolResults()).toEqual({
      call_refund:
        'Permission denied: ' +
        bot.name +
        " lacks scope 'write:refunds' for tool 'processRefund'. Reason: approval.",
    });
  });
});
