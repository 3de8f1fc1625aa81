/**
 * A sliding window log: what was taken, and when, over the last `windowMs` milliseconds.
 *
 * Semantics (the same the shared stores implement): an amount taken at time `t` counts
 * until `t + windowMs`, so at time `now` the window holds the entries with
 * `now - windowMs < t <= now`. A new amount fits iff the window's sum plus that amount is
 * at most `max`. When it does not fit, it will once enough of the oldest entries have left:
 * {@link SlidingWindow.retryAfter} is the wait until then.
 *
 * Memory: amounts taken in the same millisecond are one entry, and zero amounts are not
 * kept, so a window holds at most one entry per millisecond of `windowMs`; counting 1 per
 * call (a rate limit), it also holds at most `max` entries. Times must not go backwards
 * (callers read a monotonic clock).
 *
 * @example
 * ```ts
 * const w = new SlidingWindow(10, 60_000);
 * if (w.fits(now, 1)) w.add(now, 1);
 * else console.log(`retry in ${w.retryAfter(now, 1)} ms`);
 * ```
 */
export class SlidingWindow {
  /** Entry times and amounts, a ring buffer whose capacity is a power of two. */
  private times: Float64Array;
  private amounts: Float64Array;
  private mask: number;
  private head = 0;
  private size = 0;
  private total = 0;
  /**
   * The oldest entry's time (Infinity when empty) and the newest one's time and slot, kept
   * in fields so the common call (nothing to evict, same millisecond as the last one) reads
   * no array.
   */
  private oldest = Infinity;
  private newest = -Infinity;
  private newestSlot = 0;

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {
    this.times = new Float64Array(8);
    this.amounts = new Float64Array(8);
    this.mask = 7;
  }

  /** The number of entries held, for tests of the memory bound. */
  get entries(): number {
    return this.size;
  }

  /** Drops what has left the window at `now`; true when `amount` then fits. */
  fits(now: number, amount: number): boolean {
    if (this.oldest <= now - this.windowMs) this.evict(now - this.windowMs);
    return this.total + amount <= this.max;
  }

  /** Takes `amount` at `now` (after {@link fits} said yes). */
  add(now: number, amount: number): void {
    if (amount <= 0) return;
    this.total += amount;
    if (now === this.newest) this.amounts[this.newestSlot] += amount;
    else this.push(now, amount);
  }

  private push(now: number, amount: number): void {
    if (this.size === this.times.length) this.grow();
    const slot = (this.head + this.size) & this.mask;
    this.times[slot] = now;
    this.amounts[slot] = amount;
    if (this.size === 0) this.oldest = now;
    this.size++;
    this.newest = now;
    this.newestSlot = slot;
  }

  /**
   * Gives back `amount` taken at time `at`, if that entry is still in the window (a call
   * that failed spends nothing of a budget).
   */
  giveBack(at: number, amount: number): void {
    for (let i = this.size - 1; i >= 0; i--) {
      const slot = (this.head + i) & this.mask;
      const t = this.times[slot];
      if (t < at) return;
      if (t === at) {
        const back = Math.min(amount, this.amounts[slot]);
        this.amounts[slot] -= back;
        this.total = Math.max(0, this.total - back);
        return;
      }
    }
  }

  /** What is left in the window at `now` (call {@link fits} first, which evicts). */
  remaining(): number {
    return Math.max(0, this.max - this.total);
  }

  /**
   * Milliseconds from `now` until `amount` fits: when enough of the oldest entries have
   * left the window. 0 if it fits now, Infinity if it is more than `max` and never will.
   */
  retryAfter(now: number, amount: number): number {
    if (amount > this.max) return Infinity;
    const excess = this.total + amount - this.max;
    if (excess <= 0) return 0;
    let freed = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) & this.mask;
      freed += this.amounts[slot];
      if (freed >= excess) return Math.max(0, this.times[slot] + this.windowMs - now);
    }
    return this.windowMs;
  }

  private evict(edge: number): void {
    while (this.size > 0 && this.times[this.head] <= edge) {
      this.total -= this.amounts[this.head];
      this.head = (this.head + 1) & this.mask;
      this.size--;
    }
    // Sums of fractional amounts drift; an empty window is exactly empty.
    if (this.size === 0 || this.total < 0) this.total = this.size === 0 ? 0 : this.recount();
    this.oldest = this.size === 0 ? Infinity : this.times[this.head];
    if (this.size === 0) this.newest = -Infinity;
  }

  private recount(): number {
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += this.amounts[(this.head + i) & this.mask];
    return sum;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    const amounts = new Float64Array(capacity);
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) & this.mask;
      times[i] = this.times[slot];
      amounts[i] = this.amounts[slot];
    }
    this.times = times;
    this.amounts = amounts;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
