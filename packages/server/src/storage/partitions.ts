import type { SqlDriver, SqlExecutor } from './driver';
import { EVENT_COLUMNS } from './event-columns';
import { HOUR_US } from './time';

/*
 * PostgreSQL only: `events` is partitioned by RANGE on `ts`, one partition per UTC day
 * (`events_p20260301` holds [2026-03-01, 2026-03-02)), plus `events_default` for times no
 * day partition covers. A day, because retention is counted in days: a sweep drops every
 * day wholly before its cutoff and deletes rows from one partition only (the day the
 * cutoff falls in, at most 23 hours of rows); a 30-day range reads about 31 partitions; and
 * 90 days of retention keep about 97 of them, few enough that a query PostgreSQL cannot
 * prune (the first page of the audit log) still plans in a few milliseconds.
 *
 * Event ids are deduplicated per partition (a unique index on (project_id, event_id) in
 * each, which `INSERT … ON CONFLICT DO NOTHING` uses): a retried delivery repeats its id
 * and its time, so it always lands in the partition that holds the first copy. A unique
 * index across partitions would have to include `ts`, and checking each id in every
 * partition costs 40x the insert itself (measured: 720 ms against 17 ms per 1,000 events
 * over 42 partitions).
 *
 * Partitions are made ahead of time ({@link AHEAD_DAYS}), under an advisory lock shared by
 * every instance, so the writer never creates one: an event whose day has none lands in the
 * default partition, and is moved into its day when that day's partition is made. That move
 * runs under ACCESS EXCLUSIVE on `events`, holding every project's writes back, so ingest
 * refuses events dated more than 24 hours ahead (MAX_EVENT_AHEAD_US in http/wire-schema.ts):
 * a future day's events reach the default partition only if the upkeep failed for about
 * {@link AHEAD_DAYS} - 1 days, and the move stays near empty.
 */

/**
 * One day in microseconds, the span of one partition of `events` on PostgreSQL.
 *
 * @example
 * ```ts
 * Math.floor(ts / DAY_US); // the day (and partition) an event falls in
 * ```
 */
export const DAY_US = 24 * HOUR_US;

/**
 * How many days past today have their partitions made in advance. The upkeep runs every
 * hour; a week leaves room for it to fail for days before events fall back to the default
 * partition.
 *
 * @example
 * ```ts
 * await partitions.ensureDays(today, today + AHEAD_DAYS);
 * ```
 */
export const AHEAD_DAYS = 7;

/**
 * How far back the upgrade of an existing `events` table gives days their own partition;
 * older events go to the default partition, where retention deletes them in slices.
 *
 * @example
 * ```ts
 * const oldest = today - BACKFILL_DAYS;
 * ```
 */
export const BACKFILL_DAYS = 3 * 366;

/** How long partition upkeep waits for the table lock before it gives up until next time. */
const LOCK_TIMEOUT = '5s';

/** The advisory lock every instance takes before it makes or drops partitions. */
const PARTITIONS_LOCK = 'agentsudo:event-partitions';

/** The default partition: events no day partition covers (1970, or days the upkeep has not made). */
const DEFAULT_PARTITION = 'events_default';

/** Bounds as PostgreSQL prints them: `FOR VALUES FROM ('1772323200000000') TO ('…')`. */
const BOUND = /^FOR VALUES FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)$/;

/**
 * One partition of `events`: its table and the times `[from, to)` it holds (µs); the
 * default partition has no bounds.
 *
 * @example
 * ```ts
 * const p: EventPartition = { name: 'events_p20260301', from: 1772323200000000, to: 1772409600000000 };
 * ```
 */
export interface EventPartition {
  name: string;
  from?: number;
  to?: number;
}

/**
 * The name of a day's partition: `events_p` and the UTC date.
 *
 * @example
 * ```ts
 * partitionName(Date.UTC(2026, 2, 1) / 86_400_000); // 'events_p20260301'
 * ```
 */
export function partitionName(day: number): string {
  return `events_p${new Date(day * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/**
 * The statements that make a day's partition of `events`, moving in first what the default
 * partition holds of that day (PostgreSQL refuses a partition whose rows sit in the
 * default). The move holds the table lock while it runs; it is near empty because ingest
 * refuses events dated more than a day ahead. The day is a whole number the caller computed, never input, so it is inlined.
 * Run them holding the partitions lock and the table lock ({@link lockForPartitioning}).
 */
function createDayStatements(day: number): string[] {
  if (!Number.isSafeInteger(day)) throw new RangeError(`not a day number: ${day}`);
  const name = partitionName(day);
  const from = day * DAY_US;
  const to = from + DAY_US;
  const columns = ['seq', ...EVENT_COLUMNS].join(', ');
  return [
    `CREATE TEMP TABLE moving_events ON COMMIT DROP AS
       WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE ts >= ${from} AND ts < ${to} RETURNING ${columns})
       SELECT * FROM moved`,
    `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF events FOR VALUES FROM (${from}) TO (${to})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${name}_event_id ON ${name} (project_id, event_id)`,
    `INSERT INTO events (${columns}) SELECT ${columns} FROM moving_events`,
    `DROP TABLE moving_events`,
  ];
}

/**
 * Takes, in tx, the partitions lock (one instance at a time) and then the table lock that
 * creating or dropping a partition needs, waiting at most {@link LOCK_TIMEOUT} for it: a long
 * read would otherwise hold every writer queued behind the waiting DDL.
 */
async function lockForPartitioning(driver: SqlDriver, tx: SqlExecutor): Promise<void> {
  await driver.lockInTransaction!(tx, PARTITIONS_LOCK);
  await tx.run(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  await tx.run('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
}

/**
 * Migration 7's step on PostgreSQL: turns the plain `events` table into one partitioned by
 * day, in place and in the migration's transaction. Every row keeps its seq, and new rows
 * continue after the highest seq ever given (not only the highest still stored, which a
 * live client may have seen deleted). Days from the oldest event (at most
 * {@link BACKFILL_DAYS} back) to {@link AHEAD_DAYS} ahead get partitions; older or stranger
 * times go to the default partition. Indexes are built after the rows are in, which is
 * faster than maintaining them row by row.
 *
 * @example
 * ```ts
 * await partitionEventsTable(tx, Date.now());
 * ```
 */
export async function partitionEventsTable(tx: SqlExecutor, nowMs: number): Promise<void> {
  const [identity] = await tx.all<{ last: string | null }>(
    `SELECT (SELECT CASE WHEN is_called THEN last_value END FROM ${await serialOf(tx)}) AS last`,
  );
  await tx.run('ALTER TABLE events RENAME TO events_unpartitioned');
  for (const index of [
    'events_project_event_id',
    'events_project_ts',
    'events_project_agent_ts',
    'events_project_approval',
  ])
    await tx.run(`DROP INDEX IF EXISTS ${index}`);
  await tx.run(`CREATE TABLE events (
      seq BIGINT GENERATED BY DEFAULT AS IDENTITY,
      project_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      ts BIGINT NOT NULL,
      agent_name TEXT NOT NULL,
      agent_id TEXT,
      role TEXT,
      session_id TEXT,
      action TEXT NOT NULL,
      scope TEXT,
      allowed INTEGER NOT NULL,
      function_name TEXT,
      metadata TEXT,
      sdk TEXT,
      received_at BIGINT NOT NULL,
      reason TEXT,
      approval_id TEXT,
      decided_by TEXT) PARTITION BY RANGE (ts)`);
  await tx.run(`CREATE TABLE ${DEFAULT_PARTITION} PARTITION OF events DEFAULT`);
  await tx.run(
    `CREATE UNIQUE INDEX ${DEFAULT_PARTITION}_event_id ON ${DEFAULT_PARTITION} (project_id, event_id)`,
  );

  const today = Math.floor((nowMs * 1000) / DAY_US);
  const [span] = await tx.all<{ first: string | null }>(
    'SELECT MIN(ts) AS first FROM events_unpartitioned WHERE ts >= ? AND ts < ?',
    [(today - BACKFILL_DAYS) * DAY_US, (today + AHEAD_DAYS + 1) * DAY_US],
  );
  const first = span.first === null ? today : Math.floor(Number(span.first) / DAY_US);
  for (let day = first; day <= today + AHEAD_DAYS; day++) {
    const name = partitionName(day);
    await tx.run(
      `CREATE TABLE ${name} PARTITION OF events FOR VALUES FROM (${day * DAY_US}) TO (${(day + 1) * DAY_US})`,
    );
    await tx.run(`CREATE UNIQUE INDEX ${name}_event_id ON ${name} (project_id, event_id)`);
  }

  const columns = ['seq', ...EVENT_COLUMNS].join(', ');
  await tx.run(`INSERT INTO events (${columns}) SELECT ${columns} FROM events_unpartitioned`);
  await tx.run('DROP TABLE events_unpartitioned');
  // A partitioned table's primary key must hold the partition key; seq alone stays unique
  // because only the identity gives it out.
  await tx.run('ALTER TABLE events ADD PRIMARY KEY (seq, ts)');
  await tx.run('CREATE INDEX events_project_ts ON events (project_id, ts, seq)');
  await tx.run('CREATE INDEX events_project_agent_ts ON events (project_id, agent_name, ts, seq)');
  await tx.run(
    'CREATE INDEX events_project_approval ON events (project_id, approval_id, ts) WHERE approval_id IS NOT NULL',
  );
  const [stored] = await tx.all<{ max: string | null }>('SELECT MAX(seq) AS max FROM events');
  const next = Math.max(Number(identity.last ?? 0), Number(stored.max ?? 0)) + 1;
  await tx.run(`ALTER TABLE events ALTER COLUMN seq RESTART WITH ${next}`);
}

/** The identity sequence of `events.seq`, quoted for use in SQL. */
async function serialOf(tx: SqlExecutor): Promise<string> {
  const [row] = await tx.all<{ name: string }>("SELECT pg_get_serial_sequence('events', 'seq') AS name");
  return row.name;
}

/**
 * The day partitions of `events` on PostgreSQL: makes them ahead of time and drops the ones
 * retention no longer needs, safely when several instances share the database.
 *
 * @example
 * ```ts
 * const partitions = new EventPartitions(driver);
 * await partitions.ensureAhead(Date.now()); // today and the next AHEAD_DAYS days
 * const dropped = await partitions.dropBefore(cutoffUs);
 * ```
 */
export class EventPartitions {
  constructor(private readonly driver: SqlDriver) {
    if (driver.dialect !== 'postgres' || !driver.lockInTransaction)
      throw new Error('EventPartitions needs PostgreSQL: on SQLite events are one table.');
  }

  /** Every partition of `events`, day partitions in time order, the default one last. */
  async list(executor: SqlExecutor = this.driver): Promise<EventPartition[]> {
    const rows = await executor.all<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'events'::regclass`,
    );
    const out = rows.map((r): EventPartition => {
      const m = BOUND.exec(r.bound);
      return m ? { name: r.name, from: Number(m[1]), to: Number(m[2]) } : { name: r.name };
    });
    return out.sort((a, b) => (a.from ?? Infinity) - (b.from ?? Infinity));
  }

  /** Makes sure today and the next {@link AHEAD_DAYS} days (UTC) have their partitions. */
  ensureAhead(nowMs: number): Promise<string[]> {
    const today = Math.floor((nowMs * 1000) / DAY_US);
    return this.ensureDays(today, today + AHEAD_DAYS);
  }

  /**
   * Makes the partitions of days `first`…`last` (days since the epoch, UTC) that are
   * missing, moving in what the default partition holds of them; the names it made. Takes
   * the table lock only when one is missing, so a run that finds them all costs one read.
   */
  async ensureDays(first: number, last: number): Promise<string[]> {
    const has = async (executor: SqlExecutor) => new Set((await this.list(executor)).map((p) => p.name));
    const wanted: number[] = [];
    for (let day = first; day <= last; day++) wanted.push(day);
    const existing = await has(this.driver);
    if (wanted.every((d) => existing.has(partitionName(d)))) return [];
    return this.driver.transaction(async (tx) => {
      await lockForPartitioning(this.driver, tx);
      // Another instance may have made them while this one waited for the lock.
      const now = await has(tx);
      const made: string[] = [];
      for (const day of wanted) {
        if (now.has(partitionName(day))) continue;
        for (const sql of createDayStatements(day)) await tx.run(sql);
        made.push(partitionName(day));
      }
      return made;
    });
  }

  /**
   * Drops every day partition that ends at or before `cutoff` (µs); how many events they
   * held. Rows of the day the cutoff falls in, and of the default partition, are left for
   * the caller to delete.
   */
  async dropBefore(cutoff: number): Promise<number> {
    const old = (await this.list()).filter((p) => p.to !== undefined && p.to <= cutoff);
    if (!old.length) return 0;
    return this.driver.transaction(async (tx) => {
      await lockForPartitioning(this.driver, tx);
      let dropped = 0;
      for (const p of await this.list(tx)) {
        if (p.to === undefined || p.to > cutoff) continue;
        const [n] = await tx.all<{ n: string }>(`SELECT COUNT(*) AS n FROM ${p.name}`);
        await tx.run(`DROP TABLE ${p.name}`);
        dropped += Number(n.n);
      }
      return dropped;
    });
  }
}

/**
 * Keeps day partitions made ahead: now, then every `intervalMs` (an hour by default). A
 * failed run (the table lock not granted in time) is reported to `onError` and retried at
 * the next; meanwhile events land in the default partition, nothing is refused. Returns a
 * stop function.
 *
 * @example
 * ```ts
 * const stop = startPartitionUpkeep(partitions, { onError: (e) => log.warn(e) });
 * await stop();
 * ```
 */
export function startPartitionUpkeep(
  partitions: Pick<EventPartitions, 'ensureAhead'>,
  options: { intervalMs?: number; onError?: (err: unknown) => void; now?: () => number } = {},
): () => Promise<void> {
  const now = options.now ?? Date.now;
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(() => partitions.ensureAhead(now()).catch((err) => options.onError?.(err)));
  };
  const timer = setInterval(run, options.intervalMs ?? 3600_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
