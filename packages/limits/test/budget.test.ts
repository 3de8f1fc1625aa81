import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { storeKinds, unique } from './helpers';

const DAY = 86_400_000;
const BUDGET = 500;

/** A call's cost as reserved, and what it really cost (at most that). */
const calls = fc.array(
  fc.record({ cost: fc.integer({ min: 1, max: 150 }), spentPercent: fc.integer({ min: 0, max: 100 }) }),
  { minLength: 1, maxLength: 40 },
);

describe.each(storeKinds())('a budget of 500 in the $name limit store', (kind) => {
  afterAll(() => kind.close());

  test('concurrent reserves of random costs never take more than 500, and refuse only costs that did not fit', async () => {
    const store = kind.open();
    await fc.assert(
      fc.asyncProperty(calls, async (batch) => {
        const key = unique('RefundBot:write:refunds:budget:');
        const answers = await Promise.all(
          batch.map(({ cost }) =>
            store.reserve({ key, amount: cost, max: BUDGET, windowMs: DAY, reservationId: randomUUID() }),
          ),
        );
        const taken = batch.filter((_, i) => answers[i].ok).reduce((sum, c) => sum + c.cost, 0);
        expect(taken).toBeLessThanOrEqual(BUDGET);
        // What is taken only grows here, so a cost refused at any moment does not fit in the end either.
        batch.forEach(({ cost }, i) => {
          if (!answers[i].ok) expect(cost).toBeGreaterThan(BUDGET - taken);
        });
        // The store agrees on what is left.
        expect(
          await store.reserve({ key, amount: 0, max: BUDGET, windowMs: DAY, reservationId: randomUUID() }),
        ).toEqual({
          ok: true,
          remaining: BUDGET - taken,
        });
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  test('concurrent calls that reserve, then settle what they really spent, never spend more than 500', async () => {
    const store = kind.open();
    await fc.assert(
      fc.asyncProperty(calls, async (batch) => {
        const key = unique('RefundBot:write:refunds:budget:');
        const spent = await Promise.all(
          batch.map(async ({ cost, spentPercent }) => {
            const reservationId = randomUUID();
            const answer = await store.reserve({
              key,
              amount: cost,
              max: BUDGET,
              windowMs: DAY,
              reservationId,
            });
            if (!answer.ok) return 0;
            const actual = Math.floor((cost * spentPercent) / 100);
            await store.settle({ key, reservationId, actual, windowMs: DAY });
            return actual;
          }),
        );
        const total = spent.reduce((sum, s) => sum + s, 0);
        expect(total).toBeLessThanOrEqual(BUDGET);
        expect(
          await store.reserve({ key, amount: 0, max: BUDGET, windowMs: DAY, reservationId: randomUUID() }),
        ).toEqual({
          ok: true,
          remaining: BUDGET - total,
        });
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
