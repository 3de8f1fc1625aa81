import type { LimitStore, ReserveRequest, ReserveResult } from '@agentsudo/core';
import { withDeadline } from './deadline';
import { LimitRequestError, LimitStoreUnavailableError } from './errors';
import { checkReserveRequest, checkSettleRequest, checkTimeout, type SettleRequest } from './requests';

/**
 * What the PostgreSQL store needs of a client: `query` and `release`, as `pg`'s pooled
 * clients have them.
 *
 * @example
 * ```ts
 * const client: PgPoolClient = await pool.connect();
 * ```
 */
export interface PgPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Back to the pool; with an error (or `true`), the connection is closed instead. */
  release(destroy?: Error | boolean): void;
}

/**
 * What the PostgreSQL store needs of a pool: `connect()`, as `pg`'s `Pool` has it.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg';
 * const pool: PgPool = new Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
}

/**
 * Options of {@link postgresLimitStore}.
 *
 * @example
 * ```ts
 * const options: PostgresLimitStoreOptions = { pool: new Pool({ connectionString }), table: 'limits.reservations' };
 * ```
 */
export interface PostgresLimitStoreOptions {
  /** Your pool (`pg` 8); the store never ends it. */
  pool: PgPool;
  /**
   * The table of reservations, `name` or `schema.name` (letters, digits and `_`); default
   * `agentsudo_limit_reservations`. Created on first use if missing.
   */
  table?: string;
  /**
   * How long a reserve or settle may take, waiting for a connection included, before it
   * rejects with {@link LimitStoreUnavailableError}; default 1000 ms.
   */
  timeoutMs?: number;
  /**
   * The clock, in milliseconds since the epoch. By default PostgreSQL's own
   * (`clock_timestamp()`), one clock for every process; give one to test the window's edge.
   */
  now?: () => number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;

/** The table option as a quoted identifier; refused unless every part is a plain name. */
function tableIdentifier(table: unknown): { quoted: string; bare: string } {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => NAME.test(p)))
    throw new LimitRequestError(
      'table',
      table,
      'a table name, or schema.name, of letters, digits and _ (each part 1 to 50 characters, not starting with a digit)',
    );
  return { quoted: parts.map((p) => `"${p}"`).join('.'), bare: parts[parts.length - 1] };
}

/**
 * Exact rate limits and budgets shared by every process, in PostgreSQL: a sliding log of
 * reservations per key in one table, checked and taken in one statement while the key's
 * transaction-scoped advisory lock is held, so concurrent reserves from any number of
 * processes never take more than `max` in any `windowMs`. Same semantics as
 * {@link redisLimitStore}; see docs/limits.md.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg';
 * const store = postgresLimitStore({ pool: new Pool({ connectionString: process.env.DATABASE_URL }) });
 * const r = await store.reserve({ key: 'RefundBot:write:refunds:budget', amount: 120, max: 500, windowMs: 86_400_000, reservationId: randomUUID() });
 * ```
 */
export function postgresLimitStore(options: PostgresLimitStoreOptions): LimitStore {
  const {
    pool,
    table = 'agentsudo_limit_reservations',
    timeoutMs = 1000,
    now,
  } = options ?? ({} as PostgresLimitStoreOptions);
  if (!pool || typeof pool.connect !== 'function')
    throw new LimitRequestError('pool', pool, "a pg Pool (new Pool({ connectionString }) from 'pg')");
  const { quoted: t, bare } = tableIdentifier(table);
  checkTimeout(timeoutMs);

  const createSql = [
    `CREATE TABLE IF NOT EXISTS ${t} (
      key text NOT NULL,
      reservation_id text NOT NULL,
      amount double precision NOT NULL,
      remaining double precision NOT NULL,
      taken_at_ms bigint NOT NULL,
      PRIMARY KEY (key, reservation_id))`,
    `CREATE INDEX IF NOT EXISTS "${bare}_key_taken" ON ${t} (key, taken_at_ms)`,
  ];

  // $1 key, $2 amount, $3 max, $4 windowMs, $5 reservation id, $6 the caller's clock or null.
  // Runs while the key's advisory lock is held, so its snapshot is the truth for that key.
  // A reservation taken at t counts while now < t + windowMs and leaves at t + windowMs.
  const reserveSql = `
    WITH clock AS (
      SELECT COALESCE($6::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS now_ms
    ), pruned AS (
      DELETE FROM ${t} r USING clock
      WHERE r.key = $1 AND r.taken_at_ms <= clock.now_ms - $4::bigint AND r.reservation_id <> $5
    ), live AS (
      SELECT r.reservation_id, r.amount, r.remaining, r.taken_at_ms FROM ${t} r, clock
      WHERE r.key = $1 AND r.taken_at_ms > clock.now_ms - $4::bigint
    ), used AS (
      SELECT COALESCE(sum(amount), 0)::double precision AS total FROM live
    ), prior AS (
      SELECT remaining FROM live WHERE reservation_id = $5
    ), taken AS (
      INSERT INTO ${t} AS r (key, reservation_id, amount, remaining, taken_at_ms)
      SELECT $1, $5, $2::double precision, $3::double precision - used.total - $2::double precision, clock.now_ms
      FROM used, clock
      WHERE NOT EXISTS (SELECT 1 FROM prior) AND used.total + $2::double precision <= $3::double precision
      -- The same id taken in an earlier window (it has left it): this is a new reservation.
      ON CONFLICT (key, reservation_id) DO UPDATE
        SET amount = EXCLUDED.amount, remaining = EXCLUDED.remaining, taken_at_ms = EXCLUDED.taken_at_ms
      RETURNING r.remaining
    )
    SELECT (SELECT remaining FROM prior) AS prior_remaining,
           (SELECT remaining FROM taken) AS taken_remaining,
           used.total, clock.now_ms
    FROM used, clock`;

  // Only after a refusal, still under the lock: the earliest reservation whose leaving makes
  // room for the amount ($2, against $3), and the newest, in the window of $4 ending at $5.
  const fitsSql = `
    SELECT min(w.taken_at_ms) FILTER (WHERE w.total - w.freed + $2::double precision <= $3::double precision) AS at_ms,
           max(w.taken_at_ms) AS last_ms
    FROM (
      SELECT taken_at_ms,
             sum(amount) OVER (ORDER BY taken_at_ms, reservation_id ROWS UNBOUNDED PRECEDING) AS freed,
             sum(amount) OVER () AS total
      FROM ${t} WHERE key = $1 AND taken_at_ms > $5::bigint - $4::bigint
    ) w`;

  const settleSql = `UPDATE ${t} SET amount = $3 WHERE key = $1 AND reservation_id = $2`;
  const lockSql = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

  /**
   * Runs `work` on a pooled client within the deadline. A client still busy when the
   * deadline passes is closed, not returned: an open transaction on it rolls back.
   */
  function withClient<T>(
    operation: 'reserve' | 'settle',
    key: string,
    work: (client: PgPoolClient) => Promise<T>,
  ): Promise<T> {
    let client: PgPoolClient | undefined;
    let done = false;
    const finish = (destroy?: Error | boolean) => {
      if (done || !client) return;
      done = true;
      client.release(destroy);
    };
    let timedOut = false;
    const job = (async () => {
      const c = await pool.connect();
      client = c;
      if (timedOut) {
        finish(true);
        throw new Error('connected after the deadline');
      }
      try {
        const value = await work(c);
        finish();
        return value;
      } catch (e) {
        finish(e instanceof Error ? e : true);
        throw e;
      }
    })();
    const unavailable = (late: boolean, cause?: unknown) =>
      new LimitStoreUnavailableError({ store: 'postgres', operation, key, timedOut: late, timeoutMs, cause });
    return withDeadline(job, timeoutMs, () => {
      timedOut = true;
      finish(true);
      return unavailable(true);
    }).catch((e: unknown) => {
      throw e instanceof LimitStoreUnavailableError ? e : unavailable(false, e);
    });
  }

  let created = false;
  /**
   * Creates the table on a store's first calls, on their own client and within their own
   * deadline; processes doing it at once are serialised by a lock (CREATE TABLE IF NOT
   * EXISTS alone can fail when two run together).
   */
  async function ensureTable(client: PgPoolClient): Promise<void> {
    if (created) return;
    await client.query('BEGIN');
    await client.query(lockSql, [`agentsudo-limits-setup:${t}`]);
    for (const sql of createSql) await client.query(sql);
    await client.query('COMMIT');
    created = true;
  }

  return {
    async reserve(req: ReserveRequest): Promise<ReserveResult> {
      checkReserveRequest(req);
      const at = now === undefined ? null : Math.floor(now());
      const row = await withClient('reserve', req.key, async (client) => {
        await ensureTable(client);
        await client.query('BEGIN');
        await client.query(lockSql, [`${t}:${req.key}`]);
        const { rows } = await client.query(reserveSql, [
          req.key,
          req.amount,
          req.max,
          req.windowMs,
          req.reservationId,
          at,
        ]);
        const answer = rows[0];
        if (answer.prior_remaining === null && answer.taken_remaining === null) {
          const fits = await client.query(fitsSql, [
            req.key,
            req.amount,
            req.max,
            req.windowMs,
            answer.now_ms,
          ]);
          Object.assign(answer, fits.rows[0]);
        }
        await client.query('COMMIT');
        return answer;
      });
      if (row.prior_remaining !== null) return { ok: true, remaining: Number(row.prior_remaining) };
      if (row.taken_remaining !== null) return { ok: true, remaining: Number(row.taken_remaining) };
      const remaining = Math.max(0, req.max - Number(row.total));
      if (req.amount > req.max) return { ok: false, remaining, retryAfterMs: Infinity };
      // Rounding can leave a trace in the sum: once every reservation has left, it fits.
      const at_ms = row.at_ms ?? row.last_ms;
      return { ok: false, remaining, retryAfterMs: Number(at_ms) + req.windowMs - Number(row.now_ms) };
    },

    async settle(req: SettleRequest): Promise<void> {
      checkSettleRequest(req);
      await withClient('settle', req.key, async (client) => {
        await ensureTable(client);
        await client.query(settleSql, [req.key, req.reservationId, req.actual]);
      });
    },
  };
}
