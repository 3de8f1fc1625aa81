import { randomUUID } from 'node:crypto';
import { LimitRequestError } from '../src';
import { manualClock, storeKinds, unique } from './helpers';

const HOUR = 3_600_000;
const id = () => randomUUID();

describe.each(storeKinds())('the $name limit store', (kind) => {
  afterAll(() => kind.close());

  test('takes up to max, then refuses with what is left and when the amount fits again', async () => {
    const clock = manualClock();
    const store = kind.open({ now: clock.now });
    const key = unique('bot:write:refunds:');
    const limit = { key, max: 10, windowMs: HOUR };

    for (let i = 1; i <= 4; i++) {
      expect(await store.reserve({ ...limit, amount: 2, reservationId: id() })).toEqual({
        ok: true,
        remaining: 10 - 2 * i,
      });
      clock.advance(1000);
    }
    // Now t0+4s, 8 taken at t0, t0+1s, t0+2s and t0+3s: 5 more fit once the first two have left.
    expect(await store.reserve({ ...limit, amount: 5, reservationId: id() })).toEqual({
      ok: false,
      remaining: 2,
      retryAfterMs: 1000 + HOUR - 4000,
    });
    expect(await store.reserve({ ...limit, amount: 2, reservationId: id() })).toEqual({
      ok: true,
      remaining: 0,
    });
  });

  test('an amount above max is refused with nothing taken, and retryAfterMs Infinity: it never fits', async () => {
    const store = kind.open();
    const key = unique('bot:budget:');
    expect(await store.reserve({ key, amount: 501, max: 500, windowMs: HOUR, reservationId: id() })).toEqual({
      ok: false,
      remaining: 500,
      retryAfterMs: Infinity,
    });
    expect(await store.reserve({ key, amount: 500, max: 500, windowMs: HOUR, reservationId: id() })).toEqual({
      ok: true,
      remaining: 0,
    });
  });

  test('a reserve retried with the same reservationId (its answer was lost) gets the first answer and takes once', async () => {
    const store = kind.open();
    const key = unique('bot:budget:');
    const request = { key, amount: 120, max: 500, windowMs: HOUR, reservationId: id() };
    const first = await store.reserve(request);
    expect(first).toEqual({ ok: true, remaining: 380 });

    const retries = await Promise.all([
      store.reserve(request),
      store.reserve(request),
      store.reserve(request),
    ]);
    expect(retries).toEqual([first, first, first]);
    // Only 120 is taken: 380 is still there for another call.
    expect(await store.reserve({ ...request, amount: 380, reservationId: id() })).toEqual({
      ok: true,
      remaining: 0,
    });
  });

  test('settle replaces the reserved amount with the actual one: lower gives units back, 0 gives all back, twice is once', async () => {
    const store = kind.open();
    const key = unique('bot:budget:');
    const budget = { key, max: 500, windowMs: HOUR };
    const a = id();
    const b = id();
    await store.reserve({ ...budget, amount: 300, reservationId: a });
    await store.reserve({ ...budget, amount: 200, reservationId: b });
    expect(await store.reserve({ ...budget, amount: 1, reservationId: id() })).toMatchObject({
      ok: false,
      remaining: 0,
    });

    await store.settle({ key, reservationId: a, actual: 120, windowMs: HOUR });
    await store.settle({ key, reservationId: a, actual: 120, windowMs: HOUR });
    await store.settle({ key, reservationId: b, actual: 0, windowMs: HOUR });
    // 500 - 120: the settles gave back 180 and 200, each once.
    expect(await store.reserve({ ...budget, amount: 380, reservationId: id() })).toEqual({
      ok: true,
      remaining: 0,
    });
    expect(await store.reserve({ ...budget, amount: 1, reservationId: id() })).toMatchObject({
      ok: false,
      remaining: 0,
    });

    // A reserve retried after its settle still takes nothing more.
    expect(await store.reserve({ ...budget, amount: 200, reservationId: b })).toEqual({
      ok: true,
      remaining: 0,
    });
    expect(await store.reserve({ ...budget, amount: 1, reservationId: id() })).toMatchObject({ ok: false });
  });

  test('settle of a reservation the store does not hold (never taken, or out of the window) changes nothing', async () => {
    const store = kind.open();
    const key = unique('bot:budget:');
    await store.settle({ key, reservationId: id(), actual: 50, windowMs: HOUR });
    expect(await store.reserve({ key, amount: 500, max: 500, windowMs: HOUR, reservationId: id() })).toEqual({
      ok: true,
      remaining: 0,
    });
  });

  test('at the window edge: a unit taken at t still counts at t + windowMs - 1 and is back at t + windowMs', async () => {
    const clock = manualClock();
    const store = kind.open({ now: clock.now });
    const key = unique('bot:rate:');
    const limit = { key, amount: 1, max: 2, windowMs: HOUR };
    const t = clock.now();
    await store.reserve({ ...limit, reservationId: id() });
    clock.set(t + 10);
    await store.reserve({ ...limit, reservationId: id() });

    clock.set(t + HOUR - 1);
    expect(await store.reserve({ ...limit, reservationId: id() })).toEqual({
      ok: false,
      remaining: 0,
      retryAfterMs: 1,
    });
    clock.set(t + HOUR);
    expect(await store.reserve({ ...limit, reservationId: id() })).toEqual({ ok: true, remaining: 0 });
    // The second unit, taken at t + 10, leaves at t + 10 + windowMs.
    expect(await store.reserve({ ...limit, reservationId: id() })).toEqual({
      ok: false,
      remaining: 0,
      retryAfterMs: 10,
    });
    clock.set(t + HOUR + 10);
    expect(await store.reserve({ ...limit, reservationId: id() })).toEqual({ ok: true, remaining: 0 });
  });

  test("with the store's own clock, a refused amount fits once its retryAfterMs has passed", async () => {
    const store = kind.open();
    const key = unique('bot:rate:');
    const limit = { key, amount: 1, max: 3, windowMs: 400 };
    for (let i = 0; i < 3; i++)
      expect(await store.reserve({ ...limit, reservationId: id() })).toMatchObject({ ok: true });
    const refused = await store.reserve({ ...limit, reservationId: id() });
    expect(refused).toMatchObject({ ok: false, remaining: 0 });
    if (refused.ok) return;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(400);

    // A few milliseconds more: the store's clock and this process's timers tick apart.
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 5));
    expect(await store.reserve({ ...limit, reservationId: id() })).toMatchObject({ ok: true });
  });

  test('a request the store cannot use is refused before it reaches the store, naming the field and value', async () => {
    const store = kind.open();
    const good = { key: 'k', amount: 1, max: 10, windowMs: HOUR, reservationId: id() };
    const bad: [string, object][] = [
      ['key', { key: '' }],
      ['amount', { amount: -1 }],
      ['amount', { amount: Number.NaN }],
      ['max', { max: Infinity }],
      ['windowMs', { windowMs: 1.5 }],
      ['windowMs', { windowMs: 0 }],
      ['reservationId', { reservationId: 'x'.repeat(201) }],
    ];
    for (const [field, change] of bad) {
      const attempt = store.reserve({ ...good, ...change });
      await expect(attempt).rejects.toBeInstanceOf(LimitRequestError);
      await expect(attempt).rejects.toMatchObject({
        field,
        message: expect.stringContaining(`Invalid ${field}:`),
      });
    }
    await expect(
      store.settle({ key: 'k', reservationId: id(), actual: -5, windowMs: HOUR }),
    ).rejects.toMatchObject({
      field: 'actual',
      message: 'Invalid actual: -5. Expected a finite number from 0 to 9007199254740991.',
    });
  });
});
