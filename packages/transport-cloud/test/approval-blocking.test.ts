import { Agent, PermissionDeniedError, configure, sudo } from '@agentsudo/core';
import {
  ApprovalRefusedError,
  ApprovalServerError,
  ApprovalTimeoutError,
  closeApprovalStreams,
  cloudApproval,
  configureCloud,
  shutdownCloud,
  type CloudApprovalOptions,
} from '@agentsudo/transport-cloud';
import { ApprovalServer, decide, waitFor } from './approval-server';
import { tempDir, cleanup } from './helpers';

const bot = new Agent({ name: 'RefundBot', scopes: ['read:orders'] });
let server: ApprovalServer;

beforeEach(async () => {
  server = await new ApprovalServer().start();
});
afterEach(async () => {
  closeApprovalStreams();
  await shutdownCloud(0);
  configure({ transports: [] });
  await cleanup();
  await server.stop();
});

/** An async refund guarded by cloudApproval against the fake server; `ran` lists the calls that ran. */
function payments(options: CloudApprovalOptions = {}) {
  const ran: [string, number][] = [];
  const approver = cloudApproval({ endpoint: server.url, apiKey: ApprovalServer.KEY, ...options });
  const refund = sudo(
    'write:refunds',
    async (orderId: string, amount: number) => {
      ran.push([orderId, amount]);
      return `refunded ${amount}`;
    },
    { onDeny: approver, name: 'Payments.refund' },
  );
  return {
    ran,
    refund: (orderId: string, amount: number) => bot.startSession(() => refund(orderId, amount)),
  };
}

const pendingCount = () => server.list().filter((a) => a.status === 'pending').length;

describe('cloudApproval, blocking mode (async functions)', () => {
  it('waits until a person approves, then runs the call once and spends the approval', async () => {
    const { ran, refund } = payments();
    const call = refund('o-7', 120);
    const asked = await waitFor(() => server.list()[0]);
    expect(asked).toMatchObject({ status: 'pending', agent_name: 'RefundBot', agent_id: bot.id });
    expect(asked).toMatchObject({ scope: 'write:refunds', function_name: 'Payments.refund' });
    expect(asked.args_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(ran).toEqual([]);

    expect(await decide(server, asked.id, 'approve')).toBe(200);
    await expect(call).resolves.toBe('refunded 120');
    expect(ran).toEqual([['o-7', 120]]);
    expect(server.approvals.get(asked.id)!.consumed_at).toBeDefined();

    // The approval was single-use: the same call asks anew.
    const again = refund('o-7', 120);
    await waitFor(() => server.list().length === 2);
    await decide(server, server.list()[1].id, 'deny');
    await expect(again).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(ran).toHaveLength(1);
  });

  it('a denial refuses the call with PermissionDeniedError naming who denied and why', async () => {
    const { ran, refund } = payments();
    const call = refund('o-8', 900);
    const asked = await waitFor(() => server.list()[0]);
    await decide(server, asked.id, 'deny', { reason: 'over the limit' });
    const err = (await call.catch((e: unknown) => e)) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.byApprover).toBe(true);
    expect(err.cause).toBeInstanceOf(ApprovalRefusedError);
    expect(err.cause).toMatchObject({ approvalId: asked.id, status: 'denied', decidedBy: 'ana@example.com' });
    expect((err.cause as Error).message).toContain('over the limit');
    expect(ran).toEqual([]);
  });

  it('no decision within timeoutMs refuses the call', async () => {
    const { ran, refund } = payments({ timeoutMs: 1000 });
    const err = (await refund('o-9', 10).catch((e: unknown) => e)) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    // Whichever comes first: this process's deadline, or the server's expiry pushed to it.
    const cause = err.cause as ApprovalTimeoutError | ApprovalRefusedError;
    expect(
      cause instanceof ApprovalTimeoutError ||
        (cause instanceof ApprovalRefusedError && cause.status === 'expired'),
    ).toBe(true);
    expect(ran).toEqual([]);
    // A late approval of the expired request cannot unlock anything.
    await waitFor(() => server.list()[0].status === 'expired');
    expect(await decide(server, server.list()[0].id, 'approve')).toBe(409);
    expect(ran).toEqual([]);
  });

  it('an unreachable server refuses the call at once, naming the address', async () => {
    const { ran, refund } = payments();
    await server.stop();
    const err = (await refund('o-10', 10).catch((e: unknown) => e)) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.cause).toBeInstanceOf(ApprovalServerError);
    expect(err.cause).toMatchObject({ status: undefined });
    expect((err.cause as Error).message).toContain(`POST ${server.url}/api/approvals failed`);
    expect(ran).toEqual([]);
  });

  it('a 500 from the server refuses the call', async () => {
    server.fail = (method, path) => (method === 'POST' && path === '/api/approvals' ? 500 : undefined);
    const { ran, refund } = payments();
    const err = (await refund('o-11', 10).catch((e: unknown) => e)) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.cause).toMatchObject({ name: 'ApprovalServerError', status: 500 });
    expect(ran).toEqual([]);
  });

  it('an approval that cannot be spent (the consume answers 500) does not run the call', async () => {
    server.fail = (method, path) => (method === 'POST' && path.endsWith('/consume') ? 500 : undefined);
    const { ran, refund } = payments();
    const call = refund('o-12', 10);
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve');
    const err = (await call.catch((e: unknown) => e)) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.cause).toMatchObject({ status: 500 });
    expect(ran).toEqual([]);
  });

  it('a wrong key refuses the call with a message about the key', async () => {
    const { ran, refund } = payments({ apiKey: 'as_wrong_key_000000' });
    const err = (await refund('o-13', 10).catch((e: unknown) => e)) as PermissionDeniedError;
    expect(err.cause).toMatchObject({ status: 401 });
    expect((err.cause as Error).message).toContain('Check the project ingest key');
    expect(ran).toEqual([]);
  });

  it('two calls wait at the same time over one event stream, each getting its own decision', async () => {
    const { ran, refund } = payments();
    const first = refund('o-20', 1);
    const second = refund('o-21', 2);
    await waitFor(() => pendingCount() === 2);
    const [a, b] = server.list();
    await decide(server, b.id, 'approve');
    await expect(second).resolves.toBe('refunded 2');
    await decide(server, a.id, 'deny');
    await expect(first).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(ran).toEqual([['o-21', 2]]);
    expect(server.requests.filter((r) => r === 'GET /api/approvals/stream')).toHaveLength(1);
  });

  it('learns the decision by push on the event stream, without asking the server again', async () => {
    const { ran, refund } = payments();
    // The first request opens the process's event stream.
    const warmUp = refund('o-30', 1);
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve');
    await warmUp;
    // Connected, with the agent's grants loaded (none).
    await waitFor(() => server.streamCount === 1 && server.requests.includes('GET /api/grants'));
    const before = server.requests.length;

    const call = refund('o-31', 2);
    const asked = await waitFor(() => server.list()[1]);
    await decide(server, asked.id, 'approve');
    await expect(call).resolves.toBe('refunded 2');
    expect(server.requests.slice(before).filter((r) => !r.startsWith('POST /api/projects/'))).toEqual([
      'POST /api/approvals',
      `POST /api/approvals/${asked.id}/consume`,
    ]);
    expect(ran).toHaveLength(2);
  });

  it('without an event stream it long-polls the wait endpoint, one request per decision', async () => {
    server.streamEnabled = false;
    const { ran, refund } = payments();
    const call = refund('o-40', 4);
    const asked = await waitFor(() => server.list()[0]);
    await waitFor(() => server.requests.includes(`GET /api/approvals/${asked.id}/wait`));
    await decide(server, asked.id, 'approve');
    await expect(call).resolves.toBe('refunded 4');
    expect(server.requests.filter((r) => r.endsWith('/wait'))).toEqual([
      `GET /api/approvals/${asked.id}/wait`,
    ]);
    expect(ran).toEqual([['o-40', 4]]);
  });

  it('a stream cut while waiting: the decision still arrives (long-poll, then the stream again)', async () => {
    const { ran, refund } = payments();
    const warmUp = refund('o-50', 1);
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve');
    await warmUp;
    const call = refund('o-51', 5);
    const asked = await waitFor(() => server.list()[1]);
    server.dropStreams();
    await waitFor(() => server.requests.includes(`GET /api/approvals/${asked.id}/wait`));
    await decide(server, asked.id, 'approve');
    await expect(call).resolves.toBe('refunded 5');
    expect(ran).toHaveLength(2);
  });

  it("uses configureCloud's endpoint and key when given none", async () => {
    configureCloud({ apiKey: ApprovalServer.KEY, endpoint: server.url, spoolDir: tempDir() });
    const ran: string[] = [];
    const refund = sudo('write:refunds', async (id: string) => void ran.push(id), {
      onDeny: cloudApproval(),
    });
    const call = bot.startSession(() => refund('o-60'));
    await decide(server, (await waitFor(() => server.list()[0])).id, 'approve');
    await call;
    expect(ran).toEqual(['o-60']);
  });

  it('bad options are refused when the approver is made, naming the option', () => {
    expect(() => cloudApproval({ timeoutMs: 10 })).toThrow(
      /cloudApproval: timeoutMs .* from 1000 to 86400000, got 10/,
    );
    expect(() => cloudApproval({ wait: 'no' as never })).toThrow(/cloudApproval: wait must be true or false/);
    expect(() => cloudApproval({ describe: 'x' as never })).toThrow(
      /cloudApproval: describe must be a function/,
    );
    expect(() => cloudApproval({ endpoint: 'ftp://x' })).toThrow(
      /cloudApproval: endpoint "ftp:\/\/x" must start with http/,
    );
  });
});
