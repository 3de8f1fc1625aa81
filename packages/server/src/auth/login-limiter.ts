import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
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
 * The limits a {@link LoginLimiter} applies unless given others: 5 failures per 15 minutes.
 *
 * @example
 * ```ts
 * DEFAULT_LOGIN_LIMITS.maxFailures; // 5
 * ```
 */
export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  maxFailures: 5,
  windowMs: 15 * 60_000,
});

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
 * The keys attempts are counted under: one per client address, one per email. The login
 * route and `agentsudo-server unlock` name them the same way.
 *
 * @example
 * ```ts
 * const attempt = await limiter.attempt([loginKeys.ip(request.ip), loginKeys.email(email)]);
 * ```
 */
export const loginKeys = {
  ip: (address: string): string => `ip:${address}`,
  /** Emails are compared as logins compare them: trimmed, in lower case. */
  email: (email: string): string => `email:${email.trim().toLowerCase()}`,
  /**
   * Every key one address may be counted under: an IPv4 client of a server listening on
   * `::` arrives as `::ffff:1.2.3.4`.
   */
  ipVariants(address: string): string[] {
    return isIP(address) === 4
      ? [loginKeys.ip(address), loginKeys.ip(`::ffff:${address}`)]
      : [loginKeys.ip(address)];
  },
};

/**
 * A key that is locked out now, and until when.
 *
 * @example
 * ```ts
 * for (const l of await limiter.lockouts()) console.log(l.key, new Date(l.until));
 * ```
 */
export interface Lockout {
  /** `ip:<address>` or `email:<email>`. */
  key: string;
  failures: number;
  /** When a login under this key is tried again (ms since the epoch). */
  until: number;
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
    private readonly attempts: Pick<LoginAttempts, 'record' | 'delete' | 'clear' | 'count'>,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
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
    return {
      retryAfterMs,
      succeeded: async () => {
        await this.attempts.clear(keys);
      },
    };
  }

  /** The keys locked out at `now`: as many failures in the window as allowed, or more. */
  async lockouts(now = Date.now()): Promise<Lockout[]> {
    return (await this.attempts.count(now - this.limits.windowMs))
      .filter((c) => c.count >= this.limits.maxFailures)
      .map((c) => ({ key: c.key, failures: c.count, until: c.oldest + this.limits.windowMs }));
  }

  /**
   * Lifts the lockouts of these keys (or of every key) by forgetting their failed attempts;
   * returns how many attempts were forgotten.
   */
  unlock(keys: readonly string[] | 'all'): Promise<number> {
    return this.attempts.clear(keys);
  }
}
