/**
 * A bounded FIFO with constant-time push and batch removal. A plain array's `shift()`
 * moves every element, which would make the caller's `log()` cost grow with the backlog.
 *
 * @example
 * ```ts
 * const q = new RingQueue<number>(3);
 * q.push(1); q.push(2);
 * q.take(10); // [1, 2]
 * ```
 */
export class RingQueue<T> {
  private buffer: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    // Grown on demand so a large maxQueue costs nothing until it is used.
    this.buffer = new Array<T | undefined>(Math.min(capacity, 1024));
  }

  get size(): number {
    return this.count;
  }

  /** Adds at the tail; false (and nothing stored) when full. */
  push(item: T): boolean {
    if (this.count === this.buffer.length) {
      if (this.count === this.capacity) return false;
      this.grow();
    }
    const at = this.head + this.count;
    this.buffer[at < this.buffer.length ? at : at - this.buffer.length] = item;
    this.count++;
    return true;
  }

  /** Removes and returns up to `n` items from the head, oldest first. */
  take(n: number): T[] {
    const k = Math.min(n, this.count);
    const out = new Array<T>(k);
    const len = this.buffer.length;
    for (let i = 0; i < k; i++) {
      out[i] = this.buffer[this.head] as T;
      this.buffer[this.head] = undefined;
      this.head = this.head + 1 === len ? 0 : this.head + 1;
    }
    this.count -= k;
    if (this.count === 0) this.head = 0;
    return out;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.buffer.length * 2));
    for (let i = 0; i < this.count; i++) {
      next[i] = this.buffer[(this.head + i) % this.buffer.length];
    }
    this.buffer = next;
    this.head = 0;
  }
}
