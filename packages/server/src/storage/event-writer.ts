import type { SqlDriver, SqlExecutor } from './driver';
import type { LiveFanOut } from './live-fanout';
import type { EventRecord, InsertResult } from './records';
import { updateRollups } from './rollups';
import { EVENT_COLUMNS, EVENT_TYPES, eventRow } from './event-columns';
import { columnArrays, unnestRows } from './postgres-arrays';
import { placeholders } from './sql-text';

/*
 * Hand-written SQL, sent to the driver as it is. On SQLite, a multi-row
 * INSERT … ON CONFLICT DO NOTHING RETURNING, cached per batch size as a string (the query
 * builder compiles a 100-event insert in 275-670 µs, 12-22x the string;
 * bench/results/query-layer.json). On PostgreSQL, one INSERT … SELECT FROM unnest(…) per
 * group commit, one array per column (postgres-arrays.ts): a constant text and one
 * parameter per column whatever the group's size. The rollup upserts (rollups.ts) add to counts in
 * ON CONFLICT DO UPDATE clauses the builder cannot say more clearly than the SQL.
 */

/**
 * One statement stores a whole PostgreSQL group commit, whatever its size and projects. No
 * conflict target: ids are unique per day partition (partitions.ts), by an index of each
 * partition that no target on `events` can name.
 */
const UNNEST_INSERT_SQL = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) ${unnestRows(EVENT_TYPES)}
  ON CONFLICT DO NOTHING RETURNING seq, project_id, event_id`;
/** Rows per multi-row INSERT on SQLite: 500 × 17 parameters stays far below its limit (32,766). */
const INSERT_CHUNK = 500;

/**
 * Most events one group commit holds; more waiting batches go in the next. Also the longest
 * run of seqs one transaction announces.
 *
 * @example
 * ```ts
 * await routeNotifications(channel, owners, MAX_GROUP_EVENTS);
 * ```
 */
export const MAX_GROUP_EVENTS = 20_000;

/** A batch waiting for its transaction, and how to answer its caller. */
interface WriteJob {
  projectId: string;
  /** The batch's distinct events, by event id (how RETURNING rows are matched back). */
  batch: Map<string, EventRecord>;
  /** Events as received, repeats within the batch included (they count as duplicates). */
  received: number;
  resolve(result: InsertResult): void;
  reject(err: unknown): void;
}

const noop = () => undefined;

/** PostgreSQL deadlock and serialization failures: the transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/** Runs fn up to three times while it fails with a retryable conflict. */
async function retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 3 || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

/**
 * Stores ingested batches: each in one transaction with its rollups and its announcement
 * to live feeds, answered only after commit. Batches that arrive while a commit runs
 * share the next transaction (group commit), on both databases: one writer per process on
 * SQLite; on PostgreSQL one group commit at a time per instance, so concurrent batches do
 * not queue on each other's rollup row locks, and a group pays its statements, its NOTIFY
 * and its commit once.
 *
 * @example
 * ```ts
 * const writer = new EventWriter(driver, fanOut);
 * const { accepted, duplicates } = await writer.insert(projectId, records);
 * ```
 */
export class EventWriter {
  private readonly queued: WriteJob[] = [];
  private flushing = false;

  constructor(
    private readonly driver: SqlDriver,
    private readonly fanOut: LiveFanOut,
  ) {}

  /**
   * Stores a batch in one transaction. An event whose id is already in the project (a
   * retried delivery) is a duplicate and is not stored again.
   */
  async insert(projectId: string, events: readonly EventRecord[]): Promise<InsertResult> {
    const unique = new Map<string, EventRecord>();
    for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
    const job: WriteJob = { projectId, batch: unique, received: events.length, resolve: noop, reject: noop };
    const done = new Promise<InsertResult>((resolve, reject) => {
      job.resolve = resolve;
      job.reject = reject;
    });
    // Batches that arrive while a commit runs share the next transaction (group commit).
    // Each is still answered only after the commit that stored it. The flush starts on the
    // next turn of the event loop, so batches whose requests were parsed in this turn (SQLite
    // blocked the loop during the last commit) join it.
    this.queued.push(job);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flushQueued());
    }
    return done;
  }

  private async flushQueued(): Promise<void> {
    try {
      while (this.queued.length) {
        let events = 0;
        let n = 0;
        while (
          n < this.queued.length &&
          (n === 0 || events + this.queued[n].batch.size <= MAX_GROUP_EVENTS)
        ) {
          events += this.queued[n++].batch.size;
        }
        const group = this.queued.splice(0, n);
        try {
          await this.commit(group);
        } catch {
          // One bad batch must not fail the others it shared a transaction with.
          if (group.length > 1) for (const job of group) await this.commit([job]).catch(() => undefined);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Stores jobs in one transaction; answers each after commit, or rejects them all (a lone job). */
  private async commit(jobs: WriteJob[]): Promise<void> {
    const receivedAt = Date.now() * 1000;
    let stored: EventRecord[][];
    try {
      stored = await retryConflicts(() =>
        this.driver.transaction(async (tx) => {
          const out =
            this.driver.dialect === 'postgres'
              ? await insertUnnest(tx, jobs, receivedAt)
              : await insertValues(tx, jobs, receivedAt);
          // Rollups and announcements once per group: fewer statements, one NOTIFY per commit
          // (per project it stored events of).
          const byProject = new Map<string, EventRecord[]>();
          jobs.forEach((job, i) => {
            const list = byProject.get(job.projectId);
            if (list) list.push(...out[i]);
            else byProject.set(job.projectId, [...out[i]]);
          });
          await updateRollups(tx, this.driver.dialect, byProject);
          for (const [projectId, events] of byProject) await this.fanOut.announce(tx, projectId, events);
          return out;
        }),
      );
    } catch (err) {
      if (jobs.length === 1) jobs[0].reject(err);
      throw err;
    }
    jobs.forEach((job, i) => {
      this.fanOut.committed(job.projectId, stored[i]);
      job.resolve({ accepted: stored[i].length, duplicates: job.received - stored[i].length });
    });
  }
}

/** Stamps a stored record with what the database gave it. */
function stamp(e: EventRecord, seq: number, receivedAt: number): EventRecord {
  // Records are the server's own copies (built from the request), so stamping them is safe.
  e.seq = Number(seq);
  e.receivedAt = receivedAt;
  return e;
}

/** SQLite: each job's events in multi-row INSERTs; what each job stored, in order. */
async function insertValues(tx: SqlExecutor, jobs: WriteJob[], receivedAt: number): Promise<EventRecord[][]> {
  const out: EventRecord[][] = [];
  for (const { projectId, batch } of jobs) {
    const all = [...batch.values()];
    const inserted: EventRecord[] = [];
    for (let i = 0; i < all.length; i += INSERT_CHUNK) {
      const chunk = all.slice(i, i + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const e of chunk) params.push(...eventRow(projectId, e, receivedAt));
      const rows = await tx.all<{ seq: number; event_id: string }>(insertSql(chunk.length), params);
      for (const r of rows) inserted.push(stamp(batch.get(r.event_id)!, r.seq, receivedAt));
    }
    out.push(inserted);
  }
  return out;
}

/**
 * PostgreSQL: the whole group in one INSERT … SELECT FROM unnest(…); what each job stored.
 * An event two jobs of the group both carry (the same project and id) is sent once, for
 * the first job: the later one finds it a duplicate, as it would in a later commit.
 */
async function insertUnnest(tx: SqlExecutor, jobs: WriteJob[], receivedAt: number): Promise<EventRecord[][]> {
  const owner = new Map<string, number>();
  const rows: unknown[][] = [];
  jobs.forEach(({ projectId, batch }, j) => {
    for (const e of batch.values()) {
      const key = `${projectId}\u0000${e.eventId}`;
      if (owner.has(key)) continue;
      owner.set(key, j);
      rows.push(eventRow(projectId, e, receivedAt));
    }
  });
  const stored = await tx.all<{ seq: number; project_id: string; event_id: string }>(
    UNNEST_INSERT_SQL,
    columnArrays(rows, EVENT_COLUMNS.length),
  );
  // RETURNING gives no order guarantee; seq order is the order they were stored in.
  stored.sort((a, b) => Number(a.seq) - Number(b.seq));
  const out: EventRecord[][] = jobs.map(() => []);
  for (const r of stored) {
    const j = owner.get(`${r.project_id}\u0000${r.event_id}`)!;
    out[j].push(stamp(jobs[j].batch.get(r.event_id)!, r.seq, receivedAt));
  }
  return out;
}

const insertSqlCache = new Map<number, string>();

function insertSql(rows: number): string {
  let sql = insertSqlCache.get(rows);
  if (sql === undefined) {
    sql = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${placeholders(rows, EVENT_COLUMNS.length)}
      ON CONFLICT (project_id, event_id) DO NOTHING RETURNING seq, event_id`;
    insertSqlCache.set(rows, sql);
  }
  return sql;
}
