import { generateText, isStepCount, tool, type ModelMessage } from 'ai';
import { z } from 'zod';
import { Agent, configure } from '@agentsudo/core';
import { closeApprovalStreams } from '@agentsudo/transport-cloud';
import { guardTools } from '@agentsudo/ai-sdk';
import { freshDatabase, startServer, type TestServer, signIn } from '../../server/test/helpers';
import { scriptedModel, toolResultsSeen } from './scripted-model';

/**
 * A call the agent lacks the scope for, with `approval`: the AI SDK's tool approval flow
 * suspends the run, the request waits on a real AgentSudo server (PostgreSQL, 127.0.0.1),
 * a person decides on the dashboard, and the resumed run executes the tool only if the
 * server says approved, whatever the resumed history says.
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

async function pendingOnServer(): Promise<
  Array<{ id: string; function_name: string; description?: string }>
> {
  const { body } = await t.read(`/api/projects/${t.projectId}/approvals?status=pending`);
  return body.approvals;
}

async function decide(id: string, decision: 'approve' | 'deny'): Promise<void> {
  const res = await fetch(`${t.url}/api/projects/${t.projectId}/approvals/${id}/decision`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ decision }),
  });
  expect(res.status).toBe(200);
}

/** A refund run by a bot without write:refunds, asking the AgentSudo server instead. */
function refundRun(name: string) {
  const bot = new Agent({ name, scopes: ['read:customers'] });
  const ran: string[] = [];
  const tools = guardTools(
    {
      processRefund: tool({
        inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
        execute: async ({ orderId, amount }) => (ran.push(orderId), `refunded ${amount} on ${orderId}`),
      }),
    },
    {
      agent: bot,
      scopes: { processRefund: 'write:refunds' },
      approval: {
        endpoint: t.url,
        apiKey: t.apiKey,
        describe: (input: { orderId: string; amount: number }) =>
          `Refund ${input.amount} EUR on ${input.orderId}`,
      },
    },
  );
  const call = { toolCallId: 'call-r', toolName: 'processRefund', input: { orderId: 'o-7', amount: 120 } };
  /** The first run: it stops at the AI SDK's approval request. */
  const start = async () => {
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order o-7' }];
    const result = await generateText({
      model: scriptedModel([call]),
      tools,
      messages,
      stopWhen: isStepCount(3),
    });
    const request = result.content.find((p) => p.type === 'tool-approval-request');
    return { messages: [...messages, ...result.response.messages], request };
  };
  /** The resumed run, with the approval response the app's UI (or anyone holding the history) adds. */
  const resume = async (messages: ModelMessage[], approvalId: string, approved: boolean) => {
    const model = scriptedModel([]);
    await generateText({
      model,
      tools,
      messages: [
        ...messages,
        { role: 'tool', content: [{ type: 'tool-approval-response', approvalId, approved }] },
      ],
      stopWhen: isStepCount(3),
    });
    return { seen: toolResultsSeen(model) };
  };
  return { ran, start, resume };
}

test('the run stops at needsApproval, the request waits on the server, and once approved there the resumed call runs once', async () => {
  const { ran, start, resume } = refundRun('RefundBot');
  const { messages, request } = await start();
  expect(request).toBeDefined();
  expect(ran).toEqual([]);
  const [held] = (await pendingOnServer()).filter((a) => a.function_name === 'processRefund');
  expect(held).toMatchObject({ description: 'Refund 120 EUR on o-7' });

  await decide(held.id, 'approve');
  const { seen } = await resume(messages, request!.approvalId, true);
  expect(ran).toEqual(['o-7']);
  expect(seen.processRefund).toEqual({ type: 'text', value: 'refunded 120 on o-7' });

  // Spent: the same history replayed cannot run it a second time.
  const again = await resume(messages, request!.approvalId, true);
  expect(ran).toEqual(['o-7']);
  expect(again.seen.processRefund).toEqual({
    type: 'text',
    value: expect.stringContaining(
      "Permission denied: RefundBot lacks scope 'write:refunds' for tool 'processRefund'.",
    ),
  });
});

test('a resumed history saying approved cannot run a call the server denied', async () => {
  const { ran, start, resume } = refundRun('DeniedBot');
  const { messages, request } = await start();
  const [held] = (await pendingOnServer()).filter((a) => a.function_name === 'processRefund');
  await decide(held.id, 'deny');

  const { seen } = await resume(messages, request!.approvalId, true);
  expect(ran).toEqual([]);
  expect(seen.processRefund).toEqual({
    type: 'text',
    value: expect.stringMatching(
      /^Permission denied: DeniedBot lacks scope 'write:refunds' for tool 'processRefund'\. Reason: approval \(.*denied/,
    ),
  });
});

test('a resumed history saying approved cannot run a call still pending on the server', async () => {
  const { ran, start, resume } = refundRun('PendingBot');
  const { messages, request } = await start();
  const { seen } = await resume(messages, request!.approvalId, true);
  expect(ran).toEqual([]);
  expect(seen.processRefund).toEqual({
    type: 'text',
    value: expect.stringContaining('is pending on the AgentSudo server'),
  });
});

test("the app's UI denying it: the AI SDK does not run the tool and tells the model", async () => {
  const { ran, start, resume } = refundRun('UiDeniedBot');
  const { messages, request } = await start();
  const { seen } = await resume(messages, request!.approvalId, false);
  expect(ran).toEqual([]);
  expect(seen.processRefund).toMatchObject({ type: 'execution-denied' });
});
