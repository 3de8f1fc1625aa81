import fc from 'fast-check';
import { SlidingWindow } from '../src';

/** The window as its definition reads: every entry, summed over `now - windowMs < t <= now`. */
class Model {
  readonly entries: { t: number; amount: number }[] = [];
  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}
  held(now: number): number {
    return this.entries
      .filter((e) => e.t > now - this.windowMs && e.t <= now)
      .reduce((sum, e) => sum + e.amount, 0);
  }
  fits(now: number, amount: number): boolean {
    return this.held(now) + amount <= this.max;
  }
  /** The first moment from `now` at which `amount` fits, found by trying each entry's exit. */
  retryAfter(now: number, amount: number): number {
    if (amount > this.max) return Infinity;
    if (this.fits(now, amount)) return 0;
    const exits = this.entries.map((e) => e.t + this.windowMs).filter((x) => x > now);
    for (const at of exits.sort((a, b) => a - b)) if (this.fits(at, amount)) return at - now;
    return this.windowMs;
  }
}

const step = fc.oneof(
  fc.record({
    kind: fc.constant('take' as const),
    gap: fc.integer({ min: 0, max: 300 }),
    amount: fc.integer({ min: 0, max: 60 }),
  }),
  fc.record({
    kind: fc.constant('give back' as const),
    pick: fc.nat(),
    amount: fc.integer({ min: 1, max: 60 }),
  }),
);

describe('SlidingWindow', () => {
  it('answers exactly as the sum over the window would, whatever the times, amounts and give-backs', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), fc.integer({ min: 1, max: 200 }), (steps, max) => {
        const windowMs = 1000;
        const w = new SlidingWindow(max, windowMs);
        const model = new Model(max, windowMs);
        let now = 10_000;
        const taken: { t: number; amount: number }[] = [];
        for (const s of steps) {
          if (s.kind === 'take') {
            now += s.gap;
            const fits = w.fits(now, s.amount);
            expect(fits).toBe(model.fits(now, s.amount));
            expect(w.remaining()).toBe(Math.max(0, max - model.held(now)));
            if (fits) {
              w.add(now, s.amount);
              if (s.amount > 0) {
                const same = model.entries.find((e) => e.t === now);
                if (same) same.amount += s.amount;
                else model.entries.push({ t: now, amount: s.amount });
                taken.push({ t: now, amount: s.amount });
              }
            } else {
              expect(w.retryAfter(now, s.amount)).toBe(model.retryAfter(now, s.amount));
            }
          } else if (taken.length > 0) {
            // A call that failed gives back what it took, at the time it took it.
            const { t } = taken[s.pick % taken.length];
            w.giveBack(t, s.amount);
            const entry = model.entries.find((e) => e.t === t && e.t > now - windowMs);
            if (entry) entry.amount -= Math.min(s.amount, entry.amount);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
