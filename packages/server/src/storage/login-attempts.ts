import type { SqlDriver } from './driver';
import type { LoginAttemptCount } from './records';
import { placeholders } from './sql-text';

/**
 * Login attempts per key (a client address, an email), counted in the database so every
 * instance on one PostgreSQL shares the count and a restart does not reset it. The login
 * limiter decides; this only counts.
 *
 * @example
 * ```ts
 * const attempts = new LoginAttempts(driver);
 * const counts = await attempts.record(randomUUID(), ['ip:10.0.0.1'], Date.now(), Date.now() - 15 * 60_000);
 * ```
 */
export class LoginAttempts {
  constructor(private readonly driver: SqlDriver) {}

  /**
   * Records one login attempt under each of `keys` at `at` (ms), sweeping every attempt up
   * to `since`, and returns per key the attempts after `since`, this one included, with the
   * time of the oldest.
   */
  async record(
    attemptId: string,
    keys: readonly string[],
    at: number,
    since: number,
  ): Promise<LoginAttemptCount[]> {
    return this.driver.transaction(async (tx) => {
      // Attempts on the same keys take turns, on every instance: each counts all before it.
      for (const key of [...keys].sort()) await this.driver.lockInTransaction?.(tx, `login:${key}`);
      await tx.run('DELETE FROM login_attempts WHERE at <= ?', [since]);
      for (const key of keys)
        await tx.run('INSERT INTO login_attempts (attempt_id, key, at) VALUES (?, ?, ?)', [
          attemptId,
          key,
          at,
        ]);
      const rows = await tx.all<{ key: string; n: number | string; oldest: number | string }>(
        `SELECT key, COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts
         WHERE key IN ${placeholders(1, keys.length)} AND at > ? GROUP BY key`,
        [...keys, since],
      );
      return rows.map((r) => ({ key: r.key, count: Number(r.n), oldest: Number(r.oldest) }));
    });
  }

  /** Forgets one attempt (refused before its password was checked). */
  async delete(attemptId: string): Promise<void> {
    await this.driver.run('DELETE FROM login_attempts WHERE attempt_id = ?', [attemptId]);
  }

  /** Forgets every attempt under these keys (after a successful login). */
  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.driver.run(`DELETE FROM login_attempts WHERE key IN ${placeholders(1, keys.length)}`, [
      ...keys,
    ]);
  }
}
