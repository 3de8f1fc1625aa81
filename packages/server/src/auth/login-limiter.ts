/**
 * Counts failed logins per client address and per email in a sliding window, so password
 * guessing is slowed to a handful of tries. In memory: each instance limits on its own.
 *
 * @example
 * ```ts
 * const limiter = new LoginLimiter({ maxFailures: 5, windowMs: 15 * 60_000 });
 * const wait = limiter.retryAfterMs([ip, email]); // 0 when allowed
 * ```
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly options: { maxFailures: number; windowMs: number; maxTracked?: number } = {
      maxFailures: 5,
      windowMs: 15 * 60_000,
    },
  ) {}

  /** Milliseconds until any of these keys may try again; 0 when none is limited. */
  retryAfterMs(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const times = this.recent(key, now);
      if (times.length >= this.options.maxFailures) {
        wait = Math.max(wait, times[0] + this.options.windowMs - now);
      }
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    // Bounded memory even under a flood of distinct addresses: the oldest entries go first.
    const max = this.options.maxTracked ?? 10_000;
    for (const key of keys) {
      const times = this.recent(key, now);
      times.push(now);
      this.failures.delete(key);
      this.failures.set(key, times);
      while (this.failures.size > max) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - this.options.windowMs);
  }
}
