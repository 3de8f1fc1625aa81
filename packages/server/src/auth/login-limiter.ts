import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeEmail } from './emails';
import type { LoginAttempts } from '../storage/login-attempts';

/**
 * How many failed logins are allowed per sliding window: `maxFailures` from one client
 * address, and for one login from one address; `maxFailuresPerEmail` for one login from all
 * addresses together, much higher, so that someone who knows an email cannot lock its owner
 * out with a handful of guesses, while a guesser spread over many addresses is still slowed.
 *
 * @example
 * ```ts
 * const strict: LoginLimits = { maxFailures: 3, maxFailuresPerEmail: 30, windowMs: 60 * 60_000 };
 * ```
 */
export interface LoginLimits {
  maxFailures: number;
  maxFailuresPerEmail: number;
  windowMs: number;
}

/**
 * The limits a {@link LoginLimiter} applies unless given others: 5 failures per address (and
 * per login from one address), 50 per login from all addresses, per 15 minutes.
 *
 * @example
 * ```ts
 * DEFAULT_LOGIN_LIMITS.maxFailures; // 5
 * ```
 */
export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  maxFailures: 5,
  maxFailuresPerEmail: 50,
  windowMs: 15 * 60_000,
});

/**
 * An admitted login attempt: call `succeeded()` once the password is right (it clears the
 * keys' counts); a failed attempt simply stays counted.
 *
 * @example
 * ```ts
 * const attempt = await limiter.attempt(loginKeys.of(ip, email));
 * if (attempt.retryAfterMs > 0) return tooMany(attempt.retryAfterMs);
 * if (await passwordIsRight()) await attempt.succeeded();
 * ```
 */
export interface LoginAttempt {
  /** 0 when the attempt may go ahead; otherwise how long until one may. */
  retryAfterMs: number;
  succeeded(): Promise<void>;
}

const IP = 'ip:';
const PAIR = 'login:';
const EMAIL = 'email:';

/**
 * The keys attempts are counted under: one per client address, one per login from that
 * address, one per login from anywhere. The login route and `agentsudo-server unlock` name
 * them the same way.
 *
 * @example
 * ```ts
 * const attempt = await limiter.attempt(loginKeys.of(request.ip, 'ops@example.com'));
 * ```
 */
export const loginKeys = {
  ip: (address: string): string => `${IP}${address}`,
  /** Emails are compared as logins compare them: trimmed, in lower case. */
  email: (email: string): string => `${EMAIL}${normalizeEmail(email)}`,
  /** One login from one address (neither holds a space). */
  pair: (address: string, email: string): string => `${PAIR}${address} ${normalizeEmail(email)}`,
  /** Every key a login attempt from `address` for `email` is counted under. */
  of(address: string, email: string): string[] {
    return [loginKeys.ip(address), loginKeys.pair(address, email), loginKeys.email(email)];
  },
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
  /** `ip:<address>`, `login:<address> <email>` or `email:<email>`. */
  key: string;
  failures: number;
  /** When a login under this key is tried again (ms since the epoch). */
  until: number;
}

/**
 * Limits password guessing in a sliding window (see {@link LoginLimits}). Attempts are
 * counted in the database, so every instance on one PostgreSQL shares the count, and a
 * restart does not reset it. Each attempt is counted before its password is checked, so
 * parallel guesses cannot slip past the limit.
 *
 * @example
 * ```ts
 * const limiter = new LoginLimiter(storage.loginAttempts);
 * const attempt = await limiter.attempt(loginKeys.of(request.ip, email));
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
      if (c.count > this.allowed(c.key))
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
      .filter((c) => c.count >= this.allowed(c.key))
      .map((c) => ({ key: c.key, failures: c.count, until: c.oldest + this.limits.windowMs }));
  }

  /**
   * Lifts lockouts by forgetting failed attempts: of every key (`'all'`), or of an address
   * and every login tried from it, and of a login from every address. Returns how many
   * attempts were forgotten.
   */
  async unlock(which: { ip?: string; email?: string } | 'all', now = Date.now()): Promise<number> {
    if (which === 'all') return this.attempts.clear('all');
    const ips = which.ip === undefined ? [] : loginKeys.ipVariants(which.ip);
    const email = which.email === undefined ? undefined : normalizeEmail(which.email);
    const keys = new Set(ips);
    if (email !== undefined) keys.add(loginKeys.email(email));
    const pairsFrom = ips.map((k) => `${PAIR}${k.slice(IP.length)} `);
    for (const { key } of await this.attempts.count(now - this.limits.windowMs)) {
      if (!key.startsWith(PAIR)) continue;
      if (pairsFrom.some((p) => key.startsWith(p)) || (email !== undefined && key.endsWith(` ${email}`)))
        keys.add(key);
    }
    return this.attempts.clear([...keys]);
  }

  private allowed(key: string): number {
    return key.startsWith(EMAIL) ? this.limits.maxFailuresPerEmail : this.limits.maxFailures;
  }
}
