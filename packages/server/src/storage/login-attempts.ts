import type { Kysely } from 'kysely';
import type { SqlDriver } from './driver';
import { execute, fetchAll, queryBuilder } from './query-layer';
import type { LoginAttemptCount } from './records';
import type { Database } from './schema';

/*
 * Written with the typed query layer throughout; the per-key lock that makes attempts on
 * one key take turns is the driver's (a PostgreSQL advisory lock; SQLite's write lock).
 */

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
  private readonly db: Kysely<Database>;

  constructor(private readonly driver: SqlDriver) {
    this.db = queryBuilder(driver.dialect);
  }

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
    if (keys.length === 0) return [];
    return this.driver.transaction(async (tx) => {
      // Attempts on the same keys take turns, on every instance: each counts all before it.
      for (const key of [...keys].sort()) await this.driver.lockInTransaction?.(tx, `login:${key}`);
      await execute(tx, this.db.deleteFrom('login_attempts').where('at', '<=', since));
      await execute(
        tx,
        this.db.insertInto('login_attempts').values(keys.map((key) => ({ attempt_id: attemptId, key, at }))),
      );
      const rows = await fetchAll(
        tx,
        this.db
          .selectFrom('login_attempts')
          .select((eb) => ['key', eb.fn.countAll().as('n'), eb.fn.min('at').as('oldest')])
          .where('key', 'in', keys)
          .where('at', '>', since)
          .groupBy('key'),
      );
      return rows.map((r) => ({ key: r.key, count: Number(r.n), oldest: Number(r.oldest) }));
    });
  }

  /** Forgets one attempt (refused before its password was checked). */
  async delete(attemptId: string): Promise<void> {
    await execute(this.driver, this.db.deleteFrom('login_attempts').where('attempt_id', '=', attemptId));
  }

  /**
   * Forgets every attempt under these keys (after a successful login, or to lift a
   * lockout), or every attempt under any key for `'all'`; returns how many rows went.
   */
  async clear(keys: readonly string[] | 'all'): Promise<number> {
    if (keys === 'all') return execute(this.driver, this.db.deleteFrom('login_attempts'));
    if (keys.length === 0) return 0;
    return execute(this.driver, this.db.deleteFrom('login_attempts').where('key', 'in', keys));
  }

  /** Per key, the attempts after `since` and the time of the oldest (the lockouts to show). */
  async count(since: number): Promise<LoginAttemptCount[]> {
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('login_attempts')
        .select((eb) => ['key', eb.fn.countAll().as('n'), eb.fn.min('at').as('oldest')])
        .where('at', '>', since)
        .groupBy('key')
        .orderBy('key'),
    );
    return rows.map((r) => ({ key: r.key, count: Number(r.n), oldest: Number(r.oldest) }));
  }
}
