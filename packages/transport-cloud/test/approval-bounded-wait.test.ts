import { Agent, ApprovalPendingError, configure, sudo } from '@agentsudo/core';
import {
  CloudConfigError,
  closeApprovalStreams,
  cloudApproval,
  type CloudApprovalOptions,
} from '@agentsudo/transport-cloud';
import { ApprovalServer, decide, waitFor } from './approval-server';

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

/** An async refund guarded by cloudApproval against the fake server; `ran` lists the calls that ran. */
function payments(options: CloudApprovalOptions) {
  const ran: [string, number][] = [];
  const onDeny = cloudApproval({ endpoint: server.url, apiKey: ApprovalServer.KEY, ...options });
  const refund = sudo(
    'write:refunds',
    async (orderId: string, amount: number) => (ran.push([orderId, amount]), `refunded ${amount}`),
    { onDeny, name: 'Payments.refund' },
  );
  return {
    ran,
    refund: (orderId: string, amount: number) => bot.startSession(() => refund(orderId, amount)),
  };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('cloudApproval, blocking mode bounded by waitMs', () => {
  it('undecided within waitMs: throws ApprovalPendingError with the id, and the request stays pending', async () => {
    const { ran, refund } = payments({ waitMs: 300, timeoutMs: 600_000 });
    const pending = (await failure(refund('o-7', 120))) as ApprovalPendingError;
    expect(pending).toBeInstanceOf(ApprovalPendingError);
    expect(server.list()).toHaveLength(1);
    expect(pending.approvalId).toBe(server.list()[0].id);
    expect(server.list()[0].status).toBe('pending');
    expect(ran).toEqual([]);
  });

  it('approved later: the same call made again runs once; a second time it asks anew', async () => {
    const { ran, refund } = payments({ waitMs: 300, timeoutMs: 600_000 });
    const first = (await failure(refund('o-7', 120))) as ApprovalPendingError;
    // Made again before anyone decided: the same request, not a second one.
    expect(await failure(refund('o-7', 120))).toMatchObject({ approvalId: first.approvalId });
    expect(server.list()).toHaveLength(1);

    expect(await decide(server, first.approvalId, 'approve')).toBe(200);
    await expect(refund('o-7', 120)).resolves.toBe('refunded 120');
    expect(ran).toEqual([['o-7', 120]]);

    const next = (await failure(refund('o-7', 120))) as ApprovalPendingError;
    expect(next).toBeInstanceOf(ApprovalPendingError);
    expect(next.approvalId).not.toBe(first.approvalId);
    expect(ran).toHaveLength(1);
  });

  it('decided within waitMs: the call runs at once, with no pending error', async () => {
    const { ran, refund } = payments({ waitMs: 120_000, timeoutMs: 600_000 });
    const call = refund('o-8', 5);
    const asked = await waitFor(() => server.list()[0]);
    expect(await decide(server, asked.id, 'approve')).toBe(200);
    await expect(call).resolves.toBe('refunded 5');
    expect(ran).toEqual([['o-8', 5]]);
  });

  it('a waitMs beyond timeoutMs is refused at once, naming both', () => {
    expect(() => cloudApproval({ waitMs: 50_000, timeoutMs: 30_000 })).toThrow(CloudConfigError);
    expect(() => cloudApproval({ waitMs: 50_000, timeoutMs: 30_000 })).toThrow(/waitMs.*30000.*50000/);
    expect(() => cloudApproval({ waitMs: 0 })).toThrow(/waitMs/);
  });
});
