import {
  Agent,
  ConfigurationError,
  PermissionDeniedError,
  Sudo,
  configure,
  type LimitStore,
  type ReserveRequest,
  type ReserveResult,
} from '@agentsudo/core';
import { captureEvents, captureStderr } from './helpers';

/**
 * A small shared store for these tests: a sliding window log per key, answering after a
 * turn of the event loop, as a networked store would, so concurrent calls interleave.
 */
class MemoryLimitStore implements LimitStore {
  readonly entries = new Map<string, { id: string; at: number; amount: number }[]>();
  readonly reserved: ReserveRequest[] = [];
  readonly settled: { key: string; reservationId: string; actual: number }[] = [];

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    await new Promise((r) => setImmediate(r));
    this.reserved.push(request);
    const now = Date.now();
    const log = (this.entries.get(request.key) ?? []).filter((e) => e.at > now - request.windowMs);
    this.entries.set(request.key, log);
    if (log.some((e) => e.id === request.reservationId))
      return { ok: true, remaining: request.max - this.sum(log) };
    const used = this.sum(log);
    if (used + request.amount > request.max) {
      return { ok: false, remaining: request.max - used, retryAfterMs: log[0].at + request.windowMs - now };
    }
    log.push({ id: request.reservationId, at: now, amount: request.amount });
    return { ok: true, remaining: request.max - used - request.amount };
  }

  async settle(request: {
    key: string;
    reservationId: string;
    actual: number;
    windowMs: number;
  }): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.settled.push(request);
    const entry = this.entries.get(request.key)?.find((e) => e.id === request.reservationId);
    if (entry) entry.amount = request.actual;
  }

  used(key: string): number {
    return this.sum(this.entries.get(key) ?? []);
  }

  private sum(log: { amount: number }[]): number {
    return log.reduce((s, e) => s + e.amount, 0);
  }
}

/** A store that is down. */
const downStore: LimitStore = {
  reserve: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  settle: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
};
/** A store that never answers. */
const silentStore: LimitStore = {
  reserve: () => new Promise<ReserveResult>(() => {}),
  settle: () => Promise.resolve(),
};

class Payments {
  ran: number[] = [];

  @Sudo('write:refunds', { cost: (_orderId: string, amount: number) => amount })
  refund(orderId: string, amount: number) {
    if (orderId === 'fail') throw new Error('bank down');
    this.ran.push(amount);
    return amount;
  }

  @Sudo('write:refunds', { cost: (_orderId: string, amount: number) => amount })
  async refundAsync(orderId: string, amount: number) {
    await new Promise((r) => setImmediate(r));
    this.ran.push(amount);
    return amount;
  }

  @Sudo('read:orders')
  readOrder(id: string) {
    return id;
  }
}

/** The refusal a protected call ends in (it returns a Promise once a store is configured). */
async function refusalOf(result: unknown): Promise<PermissionDeniedError> {
  try {
    await result;
  } catch (e) {
    if (e instanceof PermissionDeniedError) return e;
    throw e;
  }
  throw new Error('expected the call to be refused');
}

const waitFor = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
};

afterEach(() => configure({ transports: [], limitStore: null, failOpen: false, limitStoreTimeoutMs: 2000 }));

describe('a shared LimitStore', () => {
  const refundBot = () =>
    new Agent({
      name: 'RefundBot',
      id: 'refund-bot',
      scopes: ['write:refunds', 'read:orders'],
      limits: { 'write:refunds': { max: 100, per: '1h' } },
      budgets: { 'write:refunds': { max: 500, per: '1d' } },
    });

  it('reserves before the call with a fresh id per reservation, and settles after with the actual cost', async () => {
    const store = new MemoryLimitStore();
    configure({ limitStore: store });
    const p = new Payments();
    const result = refundBot().startSession(() => p.refund('o-1', 120));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(120);
    expect(store.reserved.map(({ key, amount, max, windowMs }) => ({ key, amount, max, windowMs }))).toEqual([
      { key: 'rate_limit:refund-bot:write:refunds', amount: 1, max: 100, windowMs: 3_600_000 },
      { key: 'budget:refund-bot:write:refunds', amount: 120, max: 500, windowMs: 86_400_000 },
    ]);
    expect(new Set(store.reserved.map((r) => r.reservationId)).size).toBe(2);
    await waitFor(() => store.settled.length === 2);
    expect(store.settled.map((s) => s.actual)).toEqual([1, 120]);
  });

  it('keeps a scope without rules synchronous', () => {
    configure({ limitStore: new MemoryLimitStore() });
    expect(refundBot().startSession(() => new Payments().readOrder('r-1'))).toBe('r-1');
  });

  it('lets exactly max of 200 concurrent calls run', async () => {
    const store = new MemoryLimitStore();
    configure({ limitStore: store });
    const p = new Payments();
    const outcomes = await refundBot().startSession(() =>
      Promise.allSettled(Array.from({ length: 200 }, () => p.refundAsync('o', 0))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
    expect(p.ran).toHaveLength(100);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused.every((o) => (o.reason as PermissionDeniedError).reason === 'rate_limit')).toBe(true);
    expect(store.used('rate_limit:refund-bot:write:refunds')).toBe(100);
  });

  it('never lets concurrent random costs exceed the budget', async () => {
    const store = new MemoryLimitStore();
    configure({ limitStore: store });
    const p = new Payments();
    const costs = Array.from({ length: 60 }, (_, i) => (i * 37) % 50);
    await refundBot().startSession(() => Promise.allSettled(costs.map((c) => p.refundAsync('o', c))));
    const spent = p.ran.reduce((a, b) => a + b, 0);
    expect(spent).toBeLessThanOrEqual(500);
    expect(spent).toBeGreaterThan(400);
    expect(store.used('budget:refund-bot:write:refunds')).toBe(spent);
  });

  it('refuses with the reason and what the store says is left; gives back the rate-limit reservation', async () => {
    const store = new MemoryLimitStore();
    configure({ limitStore: store });
    const events = captureEvents((a) => a === 'permission_check');
    const p = new Payments();
    const bot = refundBot();
    await bot.startSession(() => p.refund('o-1', 450));
    // The method is synchronous, but with a store configured its call returns a Promise.
    const err = await refusalOf(bot.startSession(() => p.refund('o-2', 100)));
    expect(err).toMatchObject({ reason: 'budget', remaining: 50 });
    expect(events.events.at(-1)).toMatchObject({ allowed: false, reason: 'budget' });
    await waitFor(() => store.used('rate_limit:refund-bot:write:refunds') === 1);
  });

  it('gives back the budget of a call that throws, and keeps its rate-limit use', async () => {
    const store = new MemoryLimitStore();
    configure({ limitStore: store });
    const p = new Payments();
    await expect(refundBot().startSession(() => p.refund('fail', 300))).rejects.toThrow('bank down');
    await waitFor(() => store.settled.length === 2);
    expect(store.used('budget:refund-bot:write:refunds')).toBe(0);
    expect(store.used('rate_limit:refund-bot:write:refunds')).toBe(1);
  });

  it('fails closed: a store that rejects refuses the call, naming the failure', async () => {
    configure({ limitStore: downStore });
    const events = captureEvents((a) => a === 'permission_check');
    const p = new Payments();
    const err = await refusalOf(refundBot().startSession(() => p.refund('o-1', 10)));
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.reason).toBe('rate_limit');
    expect(err.message).toMatch(
      /its limits\["write:refunds"\] \(100 per 1h\) could not be checked: the limit store failed \(Error: connect ECONNREFUSED 127.0.0.1:6379\)/,
    );
    expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
    expect(p.ran).toEqual([]);
    expect(events.events.at(-1)).toMatchObject({ allowed: false, reason: 'rate_limit' });
  });

  it('fails closed when the store does not answer in time', async () => {
    configure({ limitStore: silentStore, limitStoreTimeoutMs: 50 });
    const err = await refusalOf(refundBot().startSession(() => new Payments().refund('o-1', 10)));
    expect(err.reason).toBe('rate_limit');
    expect(err.message).toMatch(/the limit store failed \(Error: no answer within 50 ms\)/);
  });

  it('with failOpen the call runs, said once on stderr and on every such event', async () => {
    configure({ limitStore: downStore, failOpen: true });
    const events = captureEvents((a) => a === 'permission_check');
    const p = new Payments();
    const bot = refundBot();
    const stderr = await captureStderr(async () => {
      await expect(bot.startSession(() => p.refund('o-1', 10))).resolves.toBe(10);
      await expect(bot.startSession(() => p.refund('o-2', 20))).resolves.toBe(20);
    });
    expect(
      stderr.match(/the limit store failed \(Error: connect ECONNREFUSED[^)]*\) and failOpen is set/g),
    ).toHaveLength(1);
    expect(stderr).toMatch(/RUN WITHOUT their rate limits and budgets/);
    expect(events.events.map((e) => e.metadata?.limit_store_fail_open)).toEqual([true, true]);
  });

  it('keeps agents apart: keys are per agent id and pattern', async () => {
    const store = new MemoryLimitStore();
    configure({ limitStore: store });
    const limits = { 'write:*': { max: 1, per: '1h' } };
    const one = new Agent({ name: 'Bot', scopes: ['write:refunds'], limits });
    const two = new Agent({ name: 'Bot', scopes: ['write:refunds'], limits });
    const p = new Payments();
    await one.startSession(() => p.refundAsync('o', 1));
    await two.startSession(() => p.refundAsync('o', 1));
    await expect(one.startSession(() => p.refundAsync('o', 1))).rejects.toMatchObject({
      reason: 'rate_limit',
    });
    expect(new Set(store.reserved.map((r) => r.key))).toEqual(
      new Set([`rate_limit:${one.id}:write:*`, `rate_limit:${two.id}:write:*`]),
    );
  });

  it('refuses a configured store without reserve and settle', () => {
    expect(() => configure({ limitStore: {} as LimitStore })).toThrow(ConfigurationError);
    expect(() => configure({ limitStore: {} as LimitStore })).toThrow(
      /limitStore must have reserve\(\) and settle\(\)/,
    );
    expect(() => configure({ limitStoreTimeoutMs: -1 })).toThrow(
      /limitStoreTimeoutMs must be a positive number/,
    );
  });
});
