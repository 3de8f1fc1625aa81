import fc from 'fast-check';
import {
  Agent,
  ConfigurationError,
  PermissionDeniedError,
  SlidingWindow,
  Sudo,
  configure,
  parseDuration,
  sudo,
} from '@agentsudo/core';
import { captureEvents } from './helpers';

/** A clock the test moves by hand: the window's edges without sleeping. */
let now = 1_000_000;
const advance = (ms: number) => (now += ms);

beforeEach(() => {
  now = 1_000_000;
  configure({ clock: () => now });
});
afterEach(() => configure({ transports: [], clock: Date.now }));

function refusal(fn: () => unknown): PermissionDeniedError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PermissionDeniedError) return e;
    throw e;
  }
  throw new Error('expected a PermissionDeniedError');
}

class Payments {
  ran: number[] = [];

  @Sudo('write:refunds', { cost: (orderId: string, amount: number) => amount })
  refund(orderId: string, amount: number) {
    this.ran.push(amount);
    if (orderId === 'fail') throw new Error('bank down');
    return amount;
  }

  @Sudo('write:refunds', { cost: (orderId: string, amount: number) => amount })
  async refundAsync(orderId: string, amount: number) {
    await new Promise((r) => setImmediate(r));
    if (orderId === 'fail') throw new Error('bank down');
    this.ran.push(amount);
    return amount;
  }

  @Sudo('write:refunds')
  refundWithoutCost(orderId: string) {
    return orderId;
  }

  @Sudo('write:refunds', { cost: (_orderId: string, amount: unknown) => amount as number })
  refundAnyCost(orderId: string, amount: unknown) {
    return amount;
  }

  @Sudo('write:refunds', {
    cost: () => {
      throw new Error('price list missing');
    },
  })
  refundBrokenCost(orderId: string) {
    return orderId;
  }

  @Sudo('read:orders')
  readOrder(id: string) {
    return id;
  }
}

describe('rate limits: a sliding window log per agent and pattern', () => {
  const makeBot = () =>
    new Agent({
      name: 'RefundBot',
      scopes: ['write:refunds', 'read:orders'],
      limits: { 'write:refunds': { max: 3, per: '1m' } },
    });

  it("allows max calls in any window; the next is refused with reason 'rate_limit' and when to retry", () => {
    const events = captureEvents((a) => a === 'permission_check');
    const bot = makeBot();
    const p = new Payments();
    bot.startSession(() => {
      p.refundWithoutCost('o-1');
      advance(10_000);
      p.refundWithoutCost('o-2');
      p.refundWithoutCost('o-3');
      advance(5_000);
      const err = refusal(() => p.refundWithoutCost('o-4'));
      expect(err).toMatchObject({
        reason: 'rate_limit',
        retryAfterMs: 45_000,
        remaining: 0,
        limit: { kind: 'rate_limit', pattern: 'write:refunds', max: 3, per: '1m' },
      });
      expect(err.message).toBe(
        'Agent \'RefundBot\' reached its rate limit limits["write:refunds"] (3 per 1m) calling Payments.refundWithoutCost ' +
          '(scope \'write:refunds\'). Retry in 45000 ms, when earlier calls leave the window, or raise limits["write:refunds"].max.',
      );
    });
    expect(events.events.at(-1)).toMatchObject({
      allowed: false,
      reason: 'rate_limit',
      metadata: { limit: 'write:refunds' },
    });
  });

  it('at the window edge: a call taken at t counts until t + per, not one millisecond longer', () => {
    const bot = makeBot();
    const p = new Payments();
    bot.startSession(() => {
      const start = now;
      for (const id of ['a', 'b', 'c']) p.refundWithoutCost(id);
      advance(59_999); // start + per - 1: all three still count
      expect(refusal(() => p.refundWithoutCost('d')).retryAfterMs).toBe(1);
      advance(1); // start + per: they have left
      expect(now).toBe(start + 60_000);
      expect(p.refundWithoutCost('e')).toBe('e');
      expect(p.refundWithoutCost('f')).toBe('f');
      expect(p.refundWithoutCost('g')).toBe('g');
      expect(refusal(() => p.refundWithoutCost('h')).reason).toBe('rate_limit');
    });
  });

  it('counts the attempt of a call that throws; a refused call takes nothing', () => {
    const bot = new Agent({
      name: 'B',
      scopes: ['write:refunds'],
      limits: { 'write:refunds': { max: 2, per: '1h' } },
    });
    const p = new Payments();
    bot.startSession(() => {
      expect(() => p.refund('fail', 0)).toThrow('bank down');
      p.refund('o', 0);
      expect(refusal(() => p.refund('o', 0)).reason).toBe('rate_limit');
      expect(refusal(() => p.refund('o', 0)).retryAfterMs).toBe(3_600_000);
    });
  });

  it('applies to scopes its pattern grants, and to no other', () => {
    const bot = new Agent({ name: 'B', scopes: ['*'], limits: { 'write:*': { max: 1, per: '1h' } } });
    const p = new Payments();
    bot.startSession(() => {
      p.refundWithoutCost('o-1');
      expect(refusal(() => p.refundWithoutCost('o-2')).reason).toBe('rate_limit');
      for (let i = 0; i < 10; i++) p.readOrder(`r-${i}`);
    });
  });

  it('never shares counters between agents, even with the same name, or between their patterns', () => {
    const one = makeBot();
    const two = makeBot();
    const p = new Payments();
    one.startSession(() => ['a', 'b', 'c'].forEach((id) => p.refundWithoutCost(id)));
    expect(refusal(() => one.startSession(() => p.refundWithoutCost('d'))).reason).toBe('rate_limit');
    // The other agent has its own window, interleaved sessions included.
    two.startSession(() => ['a', 'b', 'c'].forEach((id) => p.refundWithoutCost(id)));
    expect(refusal(() => two.startSession(() => p.refundWithoutCost('d'))).reason).toBe('rate_limit');
  });

  it('works for plain functions made with sudo()', () => {
    const send = sudo('send:email', (to: string) => to);
    const mailer = new Agent({
      name: 'Mailer',
      scopes: ['send:email'],
      limits: { 'send:*': { max: 1, per: '30s' } },
    });
    mailer.startSession(() => {
      expect(send('a@b.c')).toBe('a@b.c');
      expect(refusal(() => send('d@e.f')).retryAfterMs).toBe(30_000);
    });
  });

  it('keeps at most max entries per window, whatever the number of calls', () => {
    const w = new SlidingWindow(100, 1000);
    let t = 0;
    for (let i = 0; i < 10_000; i++) {
      t += 3;
      if (w.fits(t, 1)) w.add(t, 1);
    }
    expect(w.entries).toBeLessThanOrEqual(100);
  });

  it('lets exactly max of 200 concurrent async calls run', async () => {
    const bot = new Agent({
      name: 'B',
      scopes: ['write:refunds'],
      limits: { 'write:refunds': { max: 100, per: '1h' } },
    });
    const p = new Payments();
    const outcomes = await bot.startSession(() =>
      Promise.allSettled(Array.from({ length: 200 }, (_, i) => p.refundAsync(`o-${i}`, 0))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
    expect(p.ran).toHaveLength(100);
    const reasons = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as PermissionDeniedError).reason : 'ran',
    );
    expect(reasons.filter((r) => r === 'rate_limit')).toHaveLength(100);
  });
});

describe('budgets: what the calls cost, over a sliding window', () => {
  const makeBot = () =>
    new Agent({
      name: 'RefundBot',
      scopes: ['write:refunds'],
      budgets: { 'write:refunds': { max: 500, per: '1d' } },
    });

  it("spends each call's cost; a call that does not fit is refused with reason 'budget' and what is left", () => {
    const events = captureEvents((a) => a === 'permission_check');
    const p = new Payments();
    makeBot().startSession(() => {
      p.refund('o-1', 300);
      advance(3_600_000);
      p.refund('o-2', 180);
      const err = refusal(() => p.refund('o-3', 120));
      expect(err).toMatchObject({ reason: 'budget', remaining: 20, retryAfterMs: 82_800_000 });
      expect(err.message).toBe(
        'Agent \'RefundBot\' has 20 left of its budget budgets["write:refunds"] (500 per 1d), and Payments.refund ' +
          '(scope \'write:refunds\') costs 120. Retry in 82800000 ms, when earlier calls leave the window, or raise budgets["write:refunds"].max.',
      );
      expect(p.refund('o-4', 20)).toBe(20);
      expect(p.refund('o-5', 0)).toBe(0);
    });
    expect(events.events.map((e) => e.reason)).toEqual([
      undefined,
      undefined,
      'budget',
      undefined,
      undefined,
    ]);
  });

  it('says a call that costs more than the whole budget can never run', () => {
    const err = refusal(() => makeBot().startSession(() => new Payments().refund('o', 501)));
    expect(err.retryAfterMs).toBe(Infinity);
    expect(err.message).toMatch(
      /costs 501\. That is more than the whole budget, so this call can never run under it/,
    );
  });

  it('gives back the cost of a call that throws, or whose promise rejects', async () => {
    const bot = makeBot();
    const p = new Payments();
    bot.startSession(() => {
      expect(() => p.refund('fail', 400)).toThrow('bank down');
      expect(p.refund('o-1', 500)).toBe(500);
    });
    advance(86_400_000);
    await bot.startSession(async () => {
      await expect(p.refundAsync('fail', 400)).rejects.toThrow('bank down');
      await expect(p.refundAsync('o-2', 500)).resolves.toBe(500);
      await expect(p.refundAsync('o-3', 1)).rejects.toMatchObject({ reason: 'budget', remaining: 0 });
    });
  });

  it.each([
    ['NaN', NaN, /returned number NaN, not a finite number of at least 0/],
    ['negative', -5, /returned number -5, not a finite/],
    ['infinite', Infinity, /returned number Infinity/],
    ['a string', '12', /returned "12"/],
  ])('refuses a call whose cost is %s, naming the value', (_label, amount, message) => {
    const p = new Payments();
    const err = refusal(() => makeBot().startSession(() => p.refundAnyCost('o', amount)));
    expect(err.reason).toBe('budget');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/The call was refused because no decision could be made/);
  });

  it('refuses a call whose cost throws, and a method without a cost under a budget', () => {
    const p = new Payments();
    const bot = makeBot();
    const thrown = refusal(() => bot.startSession(() => p.refundBrokenCost('o')));
    expect(thrown.reason).toBe('budget');
    expect(thrown.message).toMatch(
      /the cost option of Payments.refundBrokenCost threw \(Error: price list missing\)/,
    );
    expect((thrown.cause as Error).message).toBe('price list missing');
    const missing = refusal(() => bot.startSession(() => p.refundWithoutCost('o')));
    expect(missing.message).toMatch(/Payments.refundWithoutCost has no cost option/);
  });

  it('from an async method, every refusal is a rejection, never a synchronous throw', async () => {
    class Async {
      @Sudo('write:refunds', {
        cost: () => {
          throw new Error('price list missing');
        },
      })
      async brokenCost() {
        return 'ran';
      }

      @Sudo('write:refunds', { cost: () => 1 })
      async refund() {
        return 'ran';
      }
    }
    const a = new Async();
    const bot = new Agent({
      name: 'A',
      scopes: ['write:refunds'],
      limits: { 'write:refunds': { max: 1, per: '1h' } },
      budgets: { 'write:refunds': { max: 10, per: '1h' } },
    });
    await bot.startSession(async () => {
      let brokenCost!: Promise<string>;
      expect(() => (brokenCost = a.brokenCost())).not.toThrow();
      await expect(brokenCost).rejects.toMatchObject({ reason: 'budget' });
      await expect(a.refund()).resolves.toBe('ran');
      let limited!: Promise<string>;
      expect(() => (limited = a.refund())).not.toThrow();
      await expect(limited).rejects.toMatchObject({ reason: 'rate_limit' });
    });
  });

  it('checks the rate limit before the budget, and a refused call takes from neither', () => {
    const bot = new Agent({
      name: 'B',
      scopes: ['write:refunds'],
      limits: { 'write:refunds': { max: 2, per: '1h' } },
      budgets: { 'write:refunds': { max: 100, per: '1h' } },
    });
    const p = new Payments();
    bot.startSession(() => {
      expect(refusal(() => p.refund('o', 150)).reason).toBe('budget'); // takes no rate-limit use
      p.refund('o', 60);
      p.refund('o', 40);
      expect(refusal(() => p.refund('o', 0)).reason).toBe('rate_limit');
    });
  });

  it('is never exceeded in any window under random costs and times', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.integer({ min: 0, max: 400 }), cost: fc.integer({ min: 0, max: 200 }) }),
          {
            maxLength: 150,
          },
        ),
        (calls) => {
          now = 5_000;
          const bot = new Agent({
            name: 'B',
            scopes: ['write:refunds'],
            budgets: { 'write:refunds': { max: 500, per: 1000 } },
          });
          const p = new Payments();
          const spent: [number, number][] = [];
          bot.startSession(() => {
            for (const { gap, cost } of calls) {
              advance(gap);
              try {
                p.refund('o', cost);
                spent.push([now, cost]);
              } catch (e) {
                if (!(e instanceof PermissionDeniedError) || e.reason !== 'budget') throw e;
              }
            }
          });
          for (const [t] of spent) {
            const inWindow = spent.filter(([u]) => u > t - 1000 && u <= t).reduce((sum, [, c]) => sum + c, 0);
            expect(inWindow).toBeLessThanOrEqual(500);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('limits and budgets are checked when the agent is built', () => {
  it.each([
    [
      { limits: { 'write:refunds': { max: 10, per: '1 hour' } } },
      /new Agent\('Bot'\) limits\["write:refunds"\]\.per "1 hour" is not a duration; use '30s', '15m', '1h', '1d'/,
    ],
    [
      { limits: { 'write:refunds': { max: 2.5, per: '1h' } } },
      /limits\["write:refunds"\]\.max number 2.5 is not a number of calls; use a whole number/,
    ],
    [
      { budgets: { 'write:refunds': { max: -1, per: '1d' } } },
      /budgets\["write:refunds"\]\.max number -1 is not an amount/,
    ],
    [
      { budgets: { 'write:refunds': { max: 5, per: 0 } } },
      /budgets\["write:refunds"\]\.per number 0 is not a duration/,
    ],
    [
      { limits: { 'write:refunds': { max: 5, per: '1h', window: 3 } } },
      /has unknown key "window"; a rule has only max and per/,
    ],
    [
      { limits: { ' write:x': { max: 5, per: '1h' } } },
      /limits key: scope " write:x" has leading or trailing white space/,
    ],
    [{ limits: [] }, /limits must be an object keyed by scope pattern/],
  ])('%j is refused with an error naming the agent, key and value', (options, message) => {
    expect(() => new Agent({ name: 'Bot', scopes: [], ...(options as object) })).toThrow(ConfigurationError);
    expect(() => new Agent({ name: 'Bot', scopes: [], ...(options as object) })).toThrow(message);
  });

  it('reads durations in ms, s, m, h, d or a number of milliseconds', () => {
    expect([
      parseDuration('250ms'),
      parseDuration('30s'),
      parseDuration('15m'),
      parseDuration('1h'),
      parseDuration('1d'),
    ]).toEqual([250, 30_000, 900_000, 3_600_000, 86_400_000]);
    expect(parseDuration(1500)).toBe(1500);
    expect([
      parseDuration('1.5h'),
      parseDuration('01h'),
      parseDuration('1H'),
      parseDuration(-1),
      parseDuration(NaN),
    ]).toEqual([NaN, NaN, NaN, NaN, NaN]);
  });
});
