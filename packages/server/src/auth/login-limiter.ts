import { randomUUID } from 'node:crypto';
import type { LoginAttempts } from '../storage/login-attempts';

/**
 * How many login attempts each key (a client address, an email) gets per sliding window.
 *
 * @example
 * ```ts
 * const strict: LoginLimits = { maxFailures: 3, windowMs: 60 * 60_000 };
 * ```
 */
export interface LoginLimits {
  maxFailures: number;
  windowMs: number;
}

/**
 * An admitted login attempt: call `succeeded()` once the password is right (it clears the
 * keys' counts); a failed attempt simply stays counted.
 *
 * @example
 * ```ts
 * const attempt = await limiter.attempt([`ip:${ip}`, `email:${email}`]);
 * if (attempt.retryAfterMs > 0) return tooMany(attempt.retryAfterMs);
 * if (await passwordIsRight()) await attempt.succeeded();
 * ```
 */
export interface LoginAttempt {
  /** 0 when the attempt may go ahead; otherwise how long until one may. */
  retryAfterMs: number;
  succeeded(): Promise<void>;
}

/**
 * Limits password guessing per client address and per email in a sliding window (5 tries
 * per 15 minutes by default). Attempts are counted in the database, so every instance on
 * one PostgreSQL shares the count, and a restart does not reset it. Each attempt is counted
 * before its password is checked, so parallel guesses cannot slip past the limit.
 *
 * @example
 * ```ts
 * const limiter = new LoginLimiter(storage.loginAttempts);
 * const attempt = await limiter.attempt([`ip:${request.ip}`, `email:${email}`]);
 * ```
 */
export class LoginLimiter {
  constructor(
    private readonly attempts: Pick<LoginAttempts, 'record' | 'delete' | 'clear'>,
    private readonly limits: LoginLimits = { maxFailures: 5, windowMs: 15 * 60_000 },
  ) {}

  async attempt(keys: readonly string[], now = Date.now()): Promise<LoginAttempt> {
    const id = randomUUID();
    const since = now - this.limits.windowMs;
    const counts = await this.attempts.record(id, keys, now, since);
    let retryAfterMs = 0;
    for (const c of counts) {
      if (c.count > this.limits.maxFailures)
        retryAfterMs = Math.max(retryAfterMs, c.oldest + this.limits.windowMs - now, 1);
    }
    // A refused attempt is not a guess: it does not push the window further out.
    if (retryAfterMs > 0) await this.attempts.delete(id);
    return { retryAfterMs, succeeded: () => this.attempts.clear(keys) };
  }
}
