import { Agent, configure, listProtectedMethods } from '@agentsudo/core';
import { closeApprovalStreams } from '@agentsudo/transport-cloud';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { z } from 'zod';
import {
  APPROVAL_META_KEY,
  DENIAL_META_KEY,
  guardMcpServer,
  type McpApprovalOptions,
  type PendingToolApproval,
} from '@agentsudo/mcp';
import { jsonOf, startServer, tempDir, type TestServer, signIn } from '../../server/test/helpers';
import { connectInMemory, textOf } from './files-server';

/**
 * Approvals over MCP, held by a real AgentSudo server on 127.0.0.1 (SQLite) and decided on
 * its dashboard, with the SDK's real client and server: a call waits a bounded time, then
 * answers that it awaits approval; the same call made again after approval runs once.
 */
const LOGIN = { email: 'ana@example.com', password: 'correct horse battery staple' };
const dir = tempDir();
let t: TestServer;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  t = await startServer({ db: `${dir.dir}/approvals.db` });
  session = await signIn(t, LOGIN);
}, 60_000);
afterAll(async () => {
  closeApprovalStreams();
  await t?.server.close();
  dir.remove();
});
beforeEach(() => configure({ transports: [] }));

/** A person decides on the dashboard. */
async function decideOnDashboard(id: string, decision: 'approve' | 'deny') {
  const res = await fetch(`${t.url}/api/projects/${t.projectId}/approvals/${id}/decision`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ decision }),
  });
  expect(res.status).toBe(200);
}

/** The approvals the server holds, newest first. */
async function heldApprovals(): Promise<{ id: string; status: string; function_name: string }[]> {
  const res = await fetch(`${t.url}/api/projects/${t.projectId}/approvals?status=pending`, {
    headers: { cookie: session.cookie },
  });
  const body = await jsonOf<{ approvals: { id: string; status: string; function_name: string }[] }>(res);
  return body.approvals;
}

/** A refunds server whose refund tool needs write:refunds, which RefundBot lacks; `ran` lists refunds. */
async function refundsServer(approval: Partial<McpApprovalOptions> = {}) {
  const ran: string[] = [];
  const server = new McpServer({ name: 'refunds', version: '1.0.0' });
  server.registerTool(
    'refund',
    { inputSchema: { orderId: z.string(), amount: z.number() } },
    async ({ orderId, amount }) => {
      ran.push(`${orderId}:${amount}`);
      return { content: [{ type: 'text', text: `refunded ${amount} on ${orderId}` }] };
    },
  );
  guardMcpServer(server, {
    scopes: { refund: 'write:refunds' },
    agent: new Agent({ name: 'RefundBot', scopes: ['read:orders'] }),
    approval: { endpoint: t.url, apiKey: t.apiKey, timeoutMs: 600_000, waitMs: 500, ...approval },
  });
  return { ran, client: await connectInMemory(server) };
}

const refund = (client: Client, orderId: string, amount = 120) =>
  client.callTool({ name: 'refund', arguments: { orderId, amount } });
const pendingOf = (result: unknown) =>
  (result as { _meta?: Record<string, unknown> })._meta?.[APPROVAL_META_KEY] as PendingToolApproval;

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (const until = Date.now() + 30_000; ;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`condition not met: ${probe.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a tool call the agent needs approval for, over MCP', () => {
  it('undecided within waitMs answers that it awaits approval, with the id; approved, the same call runs once', async () => {
    const { ran, client } = await refundsServer();

    const waiting = await refund(client, 'o-1');

    expect(waiting.isError).toBe(true);
    const pending = pendingOf(waiting);
    expect(pending).toMatchObject({ tool: 'refund', agent: 'RefundBot', scope: 'write:refunds' });
    expect(textOf(waiting)).toContain(`awaits approval`);
    expect(textOf(waiting)).toContain(pending.approvalId);
    expect(textOf(waiting)).toMatch(/Approve it in the dashboard.*then call the tool again/);
    expect((await heldApprovals()).map((a) => a.id)).toContain(pending.approvalId);
    expect(ran).toEqual([]);

    await decideOnDashboard(pending.approvalId, 'approve');
    const done = await refund(client, 'o-1');
    expect(done.isError).toBeFalsy();
    expect(textOf(done)).toBe('refunded 120 on o-1');
    expect(ran).toEqual(['o-1:120']);

    // Spent: the same call a third time asks anew.
    const again = await refund(client, 'o-1');
    expect(pendingOf(again).approvalId).not.toBe(pending.approvalId);
    expect(ran).toEqual(['o-1:120']);
  });

  it('an approval covers only the call it was asked for: other arguments ask anew', async () => {
    const { ran, client } = await refundsServer();
    const pending = pendingOf(await refund(client, 'o-2', 10));
    await decideOnDashboard(pending.approvalId, 'approve');

    const other = await refund(client, 'o-2', 9999);

    expect(pendingOf(other).approvalId).not.toBe(pending.approvalId);
    expect(ran).toEqual([]);
  });

  it('decided while the call waits: it runs at once', async () => {
    const { ran, client } = await refundsServer({ waitMs: 120_000 });
    const before = new Set((await heldApprovals()).map((a) => a.id));
    const call = refund(client, 'o-3');
    const asked = await waitFor(async () => (await heldApprovals()).find((a) => !before.has(a.id)));

    await decideOnDashboard(asked.id, 'approve');

    expect(textOf(await call)).toBe('refunded 120 on o-3');
    expect(ran).toEqual(['o-3:120']);
  });

  it('denied on the dashboard: the usual refusal result, with reason approval', async () => {
    const { ran, client } = await refundsServer();
    const pending = pendingOf(await refund(client, 'o-4'));
    await decideOnDashboard(pending.approvalId, 'deny');

    const refused = await refund(client, 'o-4');

    expect(refused.isError).toBe(true);
    expect(refused._meta?.[DENIAL_META_KEY]).toMatchObject({
      tool: 'refund',
      agent: 'RefundBot',
      scope: 'write:refunds',
      reason: 'approval',
    });
    expect(textOf(refused)).toMatch(/lacks scope 'write:refunds'.*denied/);
    expect(ran).toEqual([]);
  });

  it('calls that ask leave nothing behind: the protected tool is made once per tool and scope', async () => {
    const { client } = await refundsServer({ waitMs: 1 });
    await refund(client, 'o-5', 1);
    const protectedBefore = listProtectedMethods().length;

    for (let i = 2; i <= 5; i++) expect(pendingOf(await refund(client, 'o-5', i))).toBeDefined();

    expect(listProtectedMethods().length).toBe(protectedBefore);
  });

  it('tools/list shows the agent the tool, marked as needing approval', async () => {
    const { client } = await refundsServer();

    const { tools } = await client.listTools();

    expect(tools.map((tool) => [tool.name, tool._meta?.[APPROVAL_META_KEY]])).toEqual([['refund', true]]);
  });
});

describe('approval options', () => {
  const server = () => new McpServer({ name: 'x', version: '1.0.0' });
  const agent = new Agent({ name: 'Bot', scopes: [] });

  it('refuses approval with onDeny log, httpDenial http-403, wait, or a bad waitMs, saying what to drop', () => {
    expect(() => guardMcpServer(server(), { agent, approval: {}, onDeny: 'log' })).toThrow(
      /drop one of them/,
    );
    expect(() => guardMcpServer(server(), { agent, approval: {}, httpDenial: 'http-403' })).toThrow(
      /drop one of them/,
    );
    expect(() =>
      guardMcpServer(server(), { agent, approval: { wait: false } as McpApprovalOptions }),
    ).toThrow(/approval\.wait/);
    expect(() => guardMcpServer(server(), { agent, approval: { waitMs: -1 } })).toThrow(/waitMs.*-1/);
  });

  it('accepts a timeoutMs under 50 s: the call then waits all of it', () => {
    expect(() => guardMcpServer(server(), { agent, approval: { timeoutMs: 30_000 } })).not.toThrow();
  });
});
