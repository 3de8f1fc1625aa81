import type { SqlDriver, SqlExecutor } from './driver';
import type { LiveFanOut } from './live-fanout';
import type { EventRecord, InsertResult } from './records';
import { updateRollups } from './rollups';
import { placeholders } from './sql-text';

/*
 * Hand-written SQL, sent to the driver as it is: the multi-row
 * INSERT … ON CONFLICT DO NOTHING RETURNING is cached per batch size as a string (the query
 * builder compiles a 100-event insert in 275-670 µs, 12-22x the string;
 * bench/results/query-layer.json), and the rollup upserts (rollups.ts) add to counts in
 * ON CONFLICT DO UPDATE clauses the builder cannot say more clearly than the SQL.
 */

const EVENT_COLUMNS = [
  'project_id',
  'event_id',
  'ts',
  'agent_name',
  'agent_id',
  'role',
  'session_id',
  'action',
  'scope',
  'allowed',
  'function_name',
  'metadata',
  'sdk',
  'received_at',
] as const;
/** Rows per multi-row INSERT: 500 × 14 parameters stays far below both databases' limits. */
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
 * to live feeds, answered only after commit. On SQLite, one writer, batches that wait
 * share the next transaction (group commit); on PostgreSQL each batch commits on its own
 * connection.
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
    if (this.driver.dialect === 'sqlite') {
      // One writer: batches that arrive while a commit runs share the next transaction
      // (group commit). Each is still answered only after the commit that stored it.
      // The flush starts on the next turn of the event loop, so batches whose requests were
      // parsed in this turn (SQLite blocked the loop during the last commit) join it.
      this.queued.push(job);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushQueued());
      }
    } else {
      this.commit([job]).catch(() => undefined);
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
          const out: EventRecord[][] = [];
          for (const job of jobs) out.push(await this.writeBatch(tx, job.projectId, job.batch, receivedAt));
          // Rollups once per project for the whole group: fewer statements per commit.
          const byProject = new Map<string, EventRecord[]>();
          jobs.forEach((job, i) => {
            const list = byProject.get(job.projectId);
            if (list) list.push(...out[i]);
            else byProject.set(job.projectId, [...out[i]]);
          });
          for (const [projectId, events] of byProject) await updateRollups(tx, projectId, events);
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

  private async writeBatch(
    tx: SqlExecutor,
    projectId: string,
    batch: Map<string, EventRecord>,
    receivedAt: number,
  ): Promise<EventRecord[]> {
    const all = [...batch.values()];
    const inserted: EventRecord[] = [];
    for (let i = 0; i < all.length; i += INSERT_CHUNK) {
      const chunk = all.slice(i, i + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const e of chunk) pushEventParams(params, projectId, e, receivedAt);
      const rows = await tx.all<{ seq: number; event_id: string }>(insertSql(chunk.length), params);
      for (const r of rows) {
        // Records are the server's own copies (built from the request), so stamping them is safe.
        const e = batch.get(r.event_id)!;
        e.seq = Number(r.seq);
        e.receivedAt = receivedAt;
        inserted.push(e);
      }
    }
    await this.fanOut.announce(tx, projectId, inserted);
    return inserted;
  }
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

function pushEventParams(out: unknown[], projectId: string, e: EventRecord, receivedAt: number): void {
  out.push(
    projectId,
    e.eventId,
    e.ts,
    e.agentName,
    e.agentId ?? null,
    e.role ?? null,
    e.sessionId ?? null,
    e.action,
    e.scope ?? null,
    e.allowed ? 1 : 0,
    e.functionName ?? null,
    e.metadata == null ? null : JSON.stringify(e.metadata),
    e.sdk ?? null,
    receivedAt,
  );
}
