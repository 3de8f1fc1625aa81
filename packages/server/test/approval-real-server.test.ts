import { randomUUID } from 'node:crypto';
import { Agent, ApprovalPendingError, PermissionDeniedError, configure, sudo } from '@agentsudo/core';
import {
  ApprovalRefusedError,
  closeApprovalStreams,
  cloudApproval,
  type CloudApprovalOptions,
} from '@agentsudo/transport-cloud';
import { createServer, type AgentSudoServer } from '../src';
import type { ApprovalStatus } from '../src/storage/approvals-records';
import { backends, jsonOf, startServer, type TestServer, signIn } from './helpers';

/**
 * The SDK's cloudApproval against the real server (not the contract fake), over HTTP on
 * 127.0.0.1, on SQLite and PostgreSQL: an agent's call asks with the project's ingest key,
 * a signed-in user decides through the dashboard API, and the call runs, or is refused.
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
const bot = new Agent({ name: 'RefundBot', scopes: ['read:orders'] });

/** Waits for a condition that arrives by push, polling it; fails after `timeoutMs`. */
async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a promise rejected with, or undefined when it resolved. */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

beforeAll(() => configure({ transports: [] }));
afterEach(() => closeApprovalStreams());

describe.each(backends())('cloudApproval against the real server on $name', (backend) => {
  let t: TestServer;
  let session: { cookie: string; csrf: string };

  beforeAll(async () => {
    t = await startServer(await backend.fresh(), { approvalSweepIntervalMs: 200 });
    session = await signIn(t, LOGIN);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close();
    await backend.cleanup();
  });

  /** A fresh project (its own queue and its own SDK connection) and a refund guarded in it. */
  async function refunds(options: CloudApprovalOptions = {}) {
    const { project, apiKey } = await t.server.admin.createProject(`p-${randomUUID().slice(0, 8)}`);
    const ran: string[] = [];
    const approver = cloudApproval({ endpoint: t.url, apiKey, timeoutMs: 60_000, ...options });
    const guard = <A extends unknown[], R>(name: string, fn: (...args: A) => R, onDeny = approver) =>
      sudo('write:refunds', fn, { onDeny, name });
    const asyncRefund = guard('Payments.refund', async (orderId: string) => {
      ran.push(orderId);
      return `refunded ${orderId}`;
    });
    const syncRefund = guard('Payments.refundNow', (orderId: string) => {
      ran.push(orderId);
      return `refunded ${orderId}`;
    });
    // Same project and key, pending mode: asks without blocking, runs at once when a grant covers it.
    const probe = guard(
      'Payments.probe',
      async (orderId: string) => `probed ${orderId}`,
      cloudApproval({ endpoint: t.url, apiKey, wait: false }),
    );
    const listed = async (status?: ApprovalStatus) =>
      (await t.server.storage.approvals.list(project.id, { limit: 200, status })).approvals;
    const decide = async (id: string, body: Record<string, unknown>) => {
      const res = await fetch(`${t.url}/api/projects/${project.id}/approvals/${id}/decision`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await jsonOf(res) };
    };
    return {
      projectId: project.id,
      ran,
      listed,
      decide,
      /** Waits until exactly `n` requests are pending and returns the newest. */
      pending: async (n = 1) =>
        until(`${n} pending`, async () => {
          const p = await listed('pending');
          return p.length === n ? p[0] : undefined;
        }),
      refund: (orderId: string) => bot.startSession(() => asyncRefund(orderId)),
      // A synchronous function guarded by an approver that asks over HTTP answers a promise.
      refundNow: (orderId: string) =>
        Promise.resolve().then(() => bot.startSession(() => syncRefund(orderId)) as unknown as string),
      probe: (orderId: string) => bot.startSession(() => probe(orderId)),
      revoke: async (grantId: string) =>
        fetch(`${t.url}/api/projects/${project.id}/grants/${grantId}`, {
          method: 'DELETE',
          headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
        }),
    };
  }

  test('blocking: the call waits, a user approves, it runs once and returns its value', async () => {
    const r = await refunds({ describe: (orderId: string) => `Refund order ${orderId}` });
    const call = r.refund('o-1');
    const asked = await r.pending();
    expect(asked).toMatchObject({ agentName: 'RefundBot', agentId: bot.id, scope: 'write:refunds' });
    expect(asked).toMatchObject({ functionName: 'Payments.refund', description: 'Refund order o-1' });
    expect(r.ran).toEqual([]);
    expect((await r.decide(asked.id, { decision: 'approve', reason: 'checked' })).status).toBe(200);
    await expect(call).resolves.toBe('refunded o-1');
    expect(r.ran).toEqual(['o-1']);
    const [done] = await r.listed();
    expect(done.consumedAt).toBeDefined();
    expect(done.decidedBy).toBe(LOGIN.email);
  });

  test('blocking: a denial refuses the call with PermissionDeniedError naming who denied', async () => {
    const r = await refunds();
    const outcome = r.refund('o-2').catch((e: unknown) => e);
    const asked = await r.pending();
    await r.decide(asked.id, { decision: 'deny', reason: 'over the limit' });
    const err = (await outcome) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.reason).toBe('approval');
    expect(err.cause).toBeInstanceOf(ApprovalRefusedError);
    expect((err.cause as Error).message).toContain(LOGIN.email);
    expect(r.ran).toEqual([]);
  });

  test('blocking: nobody decides before the timeout, so the call is refused and the request reads expired', async () => {
    const r = await refunds({ timeoutMs: 1000 });
    const err = await r.refund('o-3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(r.ran).toEqual([]);
    const [asked] = await r.listed();
    await until('expired', async () => ((await r.listed('expired')).length === 1 ? true : undefined));
    expect((await r.decide(asked.id, { decision: 'approve' })).body).toMatchObject({ status: 'expired' });
  });

  test('pending mode: the call throws ApprovalPendingError; once approved the same call runs exactly once', async () => {
    const r = await refunds({ wait: false });
    const first = (await failure(r.refundNow('o-4'))) as ApprovalPendingError;
    expect(first).toBeInstanceOf(ApprovalPendingError);
    const asked = await r.pending();
    expect(first.approvalId).toBe(asked.id);

    // Not decided yet: the same call again is still pending, and asks nothing new.
    expect(await failure(r.refundNow('o-4'))).toMatchObject({ approvalId: asked.id });
    expect(await r.listed()).toHaveLength(1);

    await r.decide(asked.id, { decision: 'approve' });
    await expect(r.refundNow('o-4')).resolves.toBe('refunded o-4');
    expect(r.ran).toEqual(['o-4']);
    // Spent: the same call asks anew, and does not run.
    expect(await failure(r.refundNow('o-4'))).toBeInstanceOf(ApprovalPendingError);
    expect(await r.listed()).toHaveLength(2);
    expect(r.ran).toEqual(['o-4']);
  });

  test('a remembered grant reaches the agent by push, and its revocation too', async () => {
    const r = await refunds();
    const call = r.refund('o-5');
    const asked = await r.pending();
    await r.decide(asked.id, { decision: 'approve', remember_minutes: 15 });
    await expect(call).resolves.toBe('refunded o-5');
    const grant = await until(
      'the grant',
      async () => (await t.server.storage.approvals.grants(r.projectId))[0],
    );

    // Covered: calls run without a new request (the grant is held in the agent's process).
    await until('the grant in the agent', async () => {
      const before = (await r.listed()).length;
      await r.refund('o-6');
      return (await r.listed()).length === before ? true : undefined;
    });

    expect((await r.revoke(grant.id)).status).toBe(200);
    // Pushed: the next call asks a person again (probed in pending mode, so asking does not block).
    const asked2 = await until('the revocation in the agent', async () => {
      const outcome = await failure(r.probe('o-7'));
      return outcome instanceof ApprovalPendingError ? outcome : undefined;
    });
    expect((await r.pending()).id).toBe(asked2.approvalId);
  });
});

describe('cloudApproval while the server restarts', () => {
  let server: AgentSudoServer | undefined;
  const dir = backends()[0];
  afterAll(async () => {
    await server?.close();
    await dir.cleanup();
  });

  test('a long-poll in flight when the server shuts down answers 503 server_closing (which the SDK retries), not an empty 200 (which it reads as a refusal)', async () => {
    const storage = await dir.fresh();
    const closing = await createServer({ ...storage, port: 0 });
    const { apiKey } = await closing.admin.createProject('closing');
    const url = await closing.listen();
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const asked = await fetch(`${url}/api/approvals`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        agent_name: 'RefundBot',
        scope: 'write:refunds',
        function_name: 'f',
        args_digest: 'a'.repeat(64),
      }),
    });
    const { id } = await jsonOf<{ id: string }>(asked);
    const waiting = fetch(`${url}/api/approvals/${id}/wait?timeout_ms=30000`, { headers });
    // Held: the server counts it among its long-lived connections before it closes.
    await until('the wait to be held', async () =>
      (await fetch(`${url}/api/approvals/${id}`, { headers })).ok ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    const closed = closing.close();
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(await jsonOf(res)).toMatchObject({ error: 'server_closing' });
    await closed;
  });

  test('a waiting call is not refused when the server shuts down: it keeps waiting and runs once approved after the restart', async () => {
    const storage = await dir.fresh();
    server = await createServer({ ...storage, port: 0 });
    const { project, apiKey } = await server.admin.createProject('restart');
    const url = await server.listen();
    const port = new URL(url).port;
    const ran: string[] = [];
    const refund = sudo(
      'write:refunds',
      async (orderId: string) => {
        ran.push(orderId);
        return `refunded ${orderId}`;
      },
      { name: 'Payments.refund', onDeny: cloudApproval({ endpoint: url, apiKey, timeoutMs: 60_000 }) },
    );
    const call = bot.startSession(() => refund('o-9'));
    const settled = call.then(
      () => 'ran',
      () => 'refused',
    );
    const [asked] = await until('the request', async () => {
      const p = (await server!.storage.approvals.list(project.id, { status: 'pending', limit: 5 })).approvals;
      return p.length ? p : undefined;
    });
    await server.close();
    server = await createServer({ ...storage, port: Number(port) });
    await server.listen();
    await server.storage.approvals.decide(project.id, asked.id, {
      decision: 'approve',
      decidedBy: LOGIN.email,
    });
    await expect(settled).resolves.toBe('ran');
    expect(ran).toEqual(['o-9']);
  });
});
