import { Agent, ApprovalPendingError, PermissionDeniedError, configure, sudo } from '@agentsudo/core';
import { closeApprovalStreams, cloudApproval, type CloudApprovalOptions } from '@agentsudo/transport-cloud';
import { ApprovalServer, decide, revoke, waitFor } from './approval-server';

const bot = new Agent({ name: 'RefundBot', scopes: [] });
let server: ApprovalServer;

beforeEach(async () => {
  server = await new ApprovalServer().start();
});
afterEach(async () => {
  closeApprovalStreams();
  configure({ transports: [] });
  await server.stop();
});

/** Guarded refunds (async and sync) sharing one approver; `ran` lists the calls that ran. */
function payments(options: CloudApprovalOptions = {}) {
  const ran: unknown[][] = [];
  const onDeny = cloudApproval({ endpoint: server.url, apiKey: ApprovalServer.KEY, ...options });
  const refund = sudo(
    'write:refunds',
    async (orderId: string, amount: number) => (ran.push([orderId, amount]), `refunded ${amount}`),
    { onDeny, name: 'Payments.refund' },
  );
  const refundSync = sudo(
    'write:refunds',
    (orderId: string, amount: number) => (ran.push([orderId, amount]), `refunded ${amount}`),
    { onDeny, name: 'Payments.refundSync' },
  );
  return {
    ran,
    refund: (orderId: string, amount: number) => bot.startSession(() => refund(orderId, amount)),
    refundSync: (orderId: string, amount: number) =>
      bot.startSession(() => refundSync(orderId, amount)) as unknown as Promise<string>,
  };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('cloudApproval, pending mode (wait: false, and synchronous functions)', () => {
  it('throws ApprovalPendingError at first; after approval the same call runs exactly once', async () => {
    const { ran, refund } = payments({ wait: false });
    const first = (await failure(refund('o-7', 120))) as ApprovalPendingError;
    expect(first).toBeInstanceOf(ApprovalPendingError);
    expect(server.list()).toHaveLength(1);
    expect(first.approvalId).toBe(server.list()[0].id);
    expect(first.expiresAt).toBe(server.list()[0].expires_at);

    // Asked again before anyone decided: the same request, not a second one.
    expect(await failure(refund('o-7', 120))).toMatchObject({ approvalId: first.approvalId });
    expect(server.list()).toHaveLength(1);

    await decide(server, first.approvalId, 'approve');
    await expect(refund('o-7', 120)).resolves.toBe('refunded 120');
    expect(ran).toEqual([['o-7', 120]]);

    // Spent: the same call asks anew.
    const next = (await failure(refund('o-7', 120))) as ApprovalPendingError;
    expect(next).toBeInstanceOf(ApprovalPendingError);
    expect(next.approvalId).not.toBe(first.approvalId);
    expect(ran).toHaveLength(1);
  });

  it('an approval for one call does not let a call with other arguments run', async () => {
    const { ran, refund } = payments({ wait: false });
    const asked = (await failure(refund('o-7', 120))) as ApprovalPendingError;
    await decide(server, asked.approvalId, 'approve');
    const other = (await failure(refund('o-7', 9999))) as ApprovalPendingError;
    expect(other).toBeInstanceOf(ApprovalPendingError);
    expect(other.approvalId).not.toBe(asked.approvalId);
    expect(ran).toEqual([]);
    // The approved call is still there to be made, once.
    await expect(refund('o-7', 120)).resolves.toBe('refunded 120');
    expect(ran).toEqual([['o-7', 120]]);
  });

  it('a denied request refuses the same call once; the next one asks anew', async () => {
    const { ran, refund } = payments({ wait: false });
    const asked = (await failure(refund('o-8', 5))) as ApprovalPendingError;
    await decide(server, asked.approvalId, 'deny', { reason: 'no' });
    const refused = (await failure(refund('o-8', 5))) as PermissionDeniedError;
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect(refused.cause).toMatchObject({ status: 'denied', approvalId: asked.approvalId });
    expect(await failure(refund('o-8', 5))).toBeInstanceOf(ApprovalPendingError);
    expect(server.list()).toHaveLength(2);
    expect(ran).toEqual([]);
  });

  it('a synchronous function is always asked without waiting, even with wait: true', async () => {
    const { ran, refundSync } = payments();
    const asked = (await failure(refundSync('o-9', 3))) as ApprovalPendingError;
    expect(asked).toBeInstanceOf(ApprovalPendingError);
    await decide(server, asked.approvalId, 'approve');
    await expect(refundSync('o-9', 3)).resolves.toBe('refunded 3');
    expect(ran).toEqual([['o-9', 3]]);
  });
});

describe('remembered grants', () => {
  it('a grant lets covered calls run without asking, until it is revoked: then calls ask again', async () => {
    const { ran, refund } = payments();
    const call = refund('o-1', 10);
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve', { remember_minutes: 30 });
    await call;
    const grant = await waitFor(() => [...server.grants.values()][0]);

    // Covered calls run at once, with other arguments too (not same_args_only), without
    // asking the server once the grant has reached this process.
    await waitFor(async () => (await refund('o-2', 20)) && server.list().length === 1);
    await expect(refund('o-3', 30)).resolves.toBe('refunded 30');
    expect(server.list()).toHaveLength(1);

    expect(await revoke(server, grant.id)).toBe(200);
    const probe = payments({ wait: false }); // same server, so the same process-wide stream
    await waitFor(async () => (await failure(probe.refund('o-4', 40))) instanceof ApprovalPendingError);
    expect(server.list().filter((a) => a.status === 'pending')).toHaveLength(1);
    expect(ran.map(([id]) => id)).not.toContain('o-4');
  });

  it('a same_args_only grant covers only the same arguments', async () => {
    const { ran, refund } = payments({ wait: false });
    const asked = (await failure(refund('o-5', 50))) as ApprovalPendingError;
    await decide(server, asked.approvalId, 'approve', { remember_minutes: 30, same_args_only: true });
    await waitFor(() => server.grants.size === 1);
    await expect(refund('o-5', 50)).resolves.toBe('refunded 50'); // spends the approval
    await expect(refund('o-5', 50)).resolves.toBe('refunded 50'); // the grant
    expect(await failure(refund('o-5', 51))).toBeInstanceOf(ApprovalPendingError);
    expect(ran).toEqual([
      ['o-5', 50],
      ['o-5', 50],
    ]);
  });

  it("a new process learns the project's grants when it connects, and uses them without asking", async () => {
    const { refund } = payments();
    const call = refund('o-6', 60);
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve', { remember_minutes: 30 });
    await call;
    await waitFor(() => server.grants.size === 1);
    closeApprovalStreams(); // as if this were a fresh process

    const fresh = payments();
    // Before the stream is up the server applies the grant itself (an approved request).
    await expect(fresh.refund('o-7', 70)).resolves.toBe('refunded 70');
    // Once connected and warmed up, covered calls no longer reach the server at all.
    await waitFor(async () => {
      const asked = server.list().length;
      await fresh.refund('o-8', 80);
      return server.list().length === asked;
    });
    expect(server.streamCount).toBe(1);
    expect(server.requests.filter((r) => r === 'GET /api/grants').length).toBeGreaterThanOrEqual(2);
  });

  it('while the stream is down, grants are not trusted locally: the server decides', async () => {
    const { ran, refund } = payments({ wait: false });
    const asked = (await failure(refund('o-1', 1))) as ApprovalPendingError;
    await decide(server, asked.approvalId, 'approve', { remember_minutes: 30 });
    const grant = await waitFor(() => [...server.grants.values()][0]);
    await refund('o-1', 1);
    server.streamEnabled = false;
    server.dropStreams();
    await waitFor(() => server.streamCount === 0);
    // Revoked while this process cannot hear it.
    grant.revoked_at = new Date().toISOString();
    expect(await failure(refund('o-2', 2))).toBeInstanceOf(ApprovalPendingError);
    expect(ran).toEqual([['o-1', 1]]);
  });
});
