import { InvalidInputError } from '../errors';
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

/**
 * Most events the writer holds by default, waiting or in the commit running: 2.5 group commits,
 * about 1-2 s of work for PostgreSQL or SQLite on 2 cores, and some tens of MB of memory.
 *
 * @example
 * ```ts
 * await openStorage({ db, maxPendingEvents: DEFAULT_MAX_PENDING_EVENTS * 2 });
 * ```
 */
export const DEFAULT_MAX_PENDING_EVENTS = 50_000;

/**
 * The smallest bound a user may set: a full batch (1,000 events, `MAX_BATCH_EVENTS`) must
 * fit in a writer that holds nothing, or it could never be stored.
 *
 * @example
 * ```ts
 * pendingEventsLimit(999); // throws InvalidInputError naming maxPendingEvents
 * ```
 */
export const MIN_MAX_PENDING_EVENTS = 1000;

/**
 * Checks `maxPendingEvents` set by a user: a whole number of at least
 * {@link MIN_MAX_PENDING_EVENTS}; unset is {@link DEFAULT_MAX_PENDING_EVENTS}.
 *
 * @example
 * ```ts
 * pendingEventsLimit(undefined); // 50_000
 * pendingEventsLimit(0); // throws InvalidInputError: Invalid maxPendingEvents 0: …
 * ```
 */
export function pendingEventsLimit(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_PENDING_EVENTS;
  if (!Number.isInteger(value) || value < MIN_MAX_PENDING_EVENTS)
    throw new InvalidInputError(
      'maxPendingEvents',
      value,
      `give a whole number of events, at least ${MIN_MAX_PENDING_EVENTS} (one full batch); the default is ${DEFAULT_MAX_PENDING_EVENTS}`,
    );
  return value;
}

/**
 * Most events one project may hold in a writer bounded at `maxPendingEvents`: half of it, so
 * a project whose client ignores Retry-After and keeps its share full leaves the other half to
 * every other project; never less than one full batch ({@link MIN_MAX_PENDING_EVENTS}), so a
 * writer bounded below two batches lets a project take all of it rather than none.
 *
 * @example
 * ```ts
 * projectPendingLimit(50_000); // 25_000
 * projectPendingLimit(1_500); // 1_000
 * ```
 */
export function projectPendingLimit(maxPendingEvents: number): number {
  return Math.max(Math.floor(maxPendingEvents / 2), MIN_MAX_PENDING_EVENTS);
}

/** How long a refused client is asked to wait (seconds): a refusal is cheap, a retry soon is fine. */
const OVERLOADED_RETRY_AFTER_S = 1;

/**
 * A batch refused whole because the writer already holds as many events as it may (the
 * database is slower than the traffic), in all (`bound` is `server`) or of the batch's project
 * (`project`, see {@link projectPendingLimit}): none of it is stored, and sending it again
 * after `retryAfterSeconds` is safe. Ingest answers it as 503 with `Retry-After`.
 *
 * @example
 * ```ts
 * try { await writer.insert(projectId, records); }
 * catch (e) { if (e instanceof WriterOverloadedError) reply.header('retry-after', String(e.retryAfterSeconds)); }
 * ```
 */
export class WriterOverloadedError extends Error {
  readonly retryAfterSeconds = OVERLOADED_RETRY_AFTER_S;
  constructor(
    /** Events in the refused batch. */
    readonly batchEvents: number,
    /** Events the writer held when it refused: in all, or of the project when `bound` is `project`. */
    readonly pendingEvents: number,
    /** The bound it met: `maxPendingEvents`, or the project's share of it. */
    readonly maxPendingEvents: number,
    /** Which bound the batch would have gone over: the server's, or its project's share. */
    readonly bound: 'server' | 'project' = 'server',
  ) {
    super(
      `The database is behind: ${pendingEvents} events ${bound === 'project' ? 'of this project ' : ''}are ` +
        `waiting to be stored (at most ${maxPendingEvents}${bound === 'project' ? ' per project' : ''}), ` +
        `so this batch of ${batchEvents} was refused whole and none of it is stored; send it again after ` +
        `${OVERLOADED_RETRY_AFTER_S} s (Retry-After).`,
    );
    this.name = 'WriterOverloadedError';
  }
}

/** Errors that say the database is held by someone else for now, not that the batch is wrong. */
const BUSY_CODES = new Set([
  'SQLITE_BUSY', // another connection holds the write lock past busy_timeout
  'SQLITE_LOCKED',
  '55P03', // PostgreSQL lock_not_available (lock_timeout)
  '57014', // PostgreSQL query_canceled (statement_timeout)
]);

/**
 * A batch not stored because the database stayed busy (another connection held its lock
 * past the wait allowed): none of it is stored, and sending it again after
 * `retryAfterSeconds` is safe. Ingest answers it as 503 with `Retry-After`.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof DatabaseBusyError) console.log(e.code); } // 'SQLITE_BUSY'
 * ```
 */
export class DatabaseBusyError extends Error {
  readonly retryAfterSeconds = OVERLOADED_RETRY_AFTER_S;
  constructor(
    /** The driver's code: `SQLITE_BUSY`, `SQLITE_LOCKED`, `55P03` or `57014`. */
    readonly code: string,
    /** What the driver threw. */
    override readonly cause: unknown,
  ) {
    super(
      `The database is busy (${code}: another connection holds a lock it needs), so this batch was not ` +
        `stored, none of it; send it again after ${OVERLOADED_RETRY_AFTER_S} s (Retry-After).`,
    );
    this.name = 'DatabaseBusyError';
  }
}

/** The error as a {@link DatabaseBusyError} when it says the database is busy, else as it is. */
function busyOr(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && BUSY_CODES.has(code) ? new DatabaseBusyError(code, err) : err;
}

/**
 * How a batch meets a full writer: `refuse` it whole ({@link WriterOverloadedError}; ingest,
 * whose clients retry), or `queue` it anyway (the server's own events, such as an approval's
 * steps, one per decision: nobody would send them again).
 *
 * @example
 * ```ts
 * await writer.insert(projectId, [event], { whenFull: 'queue' });
 * ```
 */
export interface InsertOptions {
  whenFull?: 'refuse' | 'queue';
}

/** How far a group commit has come: its events stored (seqs taken), and the commit over either way. */
interface CommitSteps {
  stored: Promise<void>;
  over: Promise<void>;
}

/** A batch waiting for its transaction, and how to answer its caller. */
interface WriteJob {
  projectId: string;
  /** The batch's distinct events, by event id (how RETURNING rows are matched back). */
  batch: Map<string, EventRecord>;
  /** Events as received, repeats within the batch included (they count as duplicates). */
  received: number;
  /** Committed in a transaction of its own: its group failed once for a reason that was not a conflict. */
  alone?: boolean;
  /** Transactions that failed on a conflict with this batch in them (tried again up to {@link MAX_TRIES}). */
  conflicts?: number;
  resolve(result: InsertResult): void;
  reject(err: unknown): void;
}

const noop = () => undefined;

/** PostgreSQL deadlock and serialization failures: the transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Transactions a batch takes part in before a conflict that keeps failing it is its answer:
 * as many in its group, then as many alone.
 */
const MAX_TRIES = 3;

/**
 * Stores ingested batches: each in one transaction with its rollups and its announcement
 * to live feeds, answered only after commit. Batches that arrive while a commit runs
 * share the next transaction (group commit), on both databases, so a group pays its
 * statements, its NOTIFY and its commit once. One group commit at a time on SQLite (one
 * writer per process). On PostgreSQL two overlap: the next group stores its events while
 * the one before finishes (its rollups, NOTIFY and COMMIT), so the database and this process
 * work at once instead of in turns. The overlap keeps the order one commit at a time would
 * have: the next group inserts only once the one before has its seqs, and takes its rollup
 * rows' locks and commits only after that one is over. So live feeds of an instance hear of
 * events in seq order, a feed resuming after a seq misses nothing stored by this instance
 * before it, and two commits of one instance never wait on each other's locks in a cycle.
 *
 * @example
 * ```ts
 * const writer = new EventWriter(driver, fanOut);
 * const { accepted, duplicates } = await writer.insert(projectId, records);
 * ```
 */
export class EventWriter {
  private readonly queued: WriteJob[] = [];
  /** A start of the next group commit is due on the next turn of the event loop. */
  private scheduled = false;
  /** A group commit has started and not yet taken its batches (the next may not start yet). */
  private taking = false;
  /** Group commits started and not yet over. */
  private running = 0;
  /** Group commits that may run at once (see the class's description). */
  private readonly overlap: number;
  /** The group commit started last: when its events are stored, and when it is over. */
  private last: CommitSteps = { stored: Promise.resolve(), over: Promise.resolve() };
  private pending = 0;
  private peak = 0;
  /** Events held per project; a project is removed when it holds none, so this stays small. */
  private readonly pendingByProject = new Map<string, number>();
  /** Most events one project may hold: {@link projectPendingLimit} of the bound. */
  readonly maxProjectPendingEvents: number;

  constructor(
    private readonly driver: SqlDriver,
    private readonly fanOut: LiveFanOut,
    /** Most events held, waiting or in the commit running; more are refused (see {@link insert}). */
    readonly maxPendingEvents: number = DEFAULT_MAX_PENDING_EVENTS,
  ) {
    this.maxProjectPendingEvents = projectPendingLimit(maxPendingEvents);
    this.overlap = driver.dialect === 'postgres' ? 2 : 1;
  }

  /** Events received and not yet answered: waiting for a commit, or in the one running. */
  get pendingEvents(): number {
    return this.pending;
  }

  /** Events of one project received and not yet answered. */
  pendingEventsOf(projectId: string): number {
    return this.pendingByProject.get(projectId) ?? 0;
  }

  /** How many projects have events held now (each is forgotten once it holds none). */
  get pendingProjects(): number {
    return this.pendingByProject.size;
  }

  /** The most events held at once since the writer was made: how close it came to its bound. */
  get peakPendingEvents(): number {
    return this.peak;
  }

  /**
   * Stores a batch in one transaction. An event whose id is already in the project (a
   * retried delivery) is a duplicate and is not stored again. When the batch would take
   * the writer over {@link maxPendingEvents}, or its project over
   * {@link maxProjectPendingEvents}, it is refused whole with {@link WriterOverloadedError}
   * (unless `whenFull` is `queue`): memory stays bounded while the database is slower than
   * the traffic, and one project cannot take all of it from the others.
   */
  async insert(
    projectId: string,
    events: readonly EventRecord[],
    options: InsertOptions = {},
  ): Promise<InsertResult> {
    const size = events.length;
    const ofProject = this.pendingEventsOf(projectId);
    if (options.whenFull !== 'queue') {
      // The project's bound first: a project over its share is told that it is the cause.
      if (ofProject + size > this.maxProjectPendingEvents)
        throw new WriterOverloadedError(size, ofProject, this.maxProjectPendingEvents, 'project');
      if (this.pending + size > this.maxPendingEvents)
        throw new WriterOverloadedError(size, this.pending, this.maxPendingEvents);
    }
    const unique = new Map<string, EventRecord>();
    for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
    this.pending += size;
    this.pendingByProject.set(projectId, ofProject + size);
    if (this.pending > this.peak) this.peak = this.pending;
    const job: WriteJob = { projectId, batch: unique, received: size, resolve: noop, reject: noop };
    // Held until answered, whichever way, and released once even if answered twice.
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.pending -= size;
      const left = this.pendingEventsOf(projectId) - size;
      if (left > 0) this.pendingByProject.set(projectId, left);
      else this.pendingByProject.delete(projectId);
    };
    const done = new Promise<InsertResult>((resolve, reject) => {
      job.resolve = (result) => {
        release();
        resolve(result);
      };
      job.reject = (err) => {
        release();
        reject(err);
      };
    });
    // Batches that arrive while a commit runs share the next transaction (group commit).
    // Each is still answered only after the commit that stored it.
    this.queued.push(job);
    this.schedule();
    return done;
  }

  /**
   * Starts the next group commit on the next turn of the event loop (so that batches whose
   * requests were parsed in this one, while SQLite blocked the loop, join it), when one may
   * start: batches wait, a slot is free, and every group commit running has taken its batches.
   */
  private schedule(): void {
    if (this.scheduled || this.taking || !this.queued.length || this.running >= this.overlap) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.taking && this.queued.length && this.running < this.overlap) this.startCommit();
    });
  }

  /**
   * Starts a group commit. It opens its transaction at once but takes the waiting batches
   * only once the group before has stored its events: that group's round trips are not
   * waited for twice, and the batches that arrived meanwhile join this one.
   */
  private startCommit(): void {
    const after = this.last;
    let stored!: () => void;
    const steps: CommitSteps = {
      stored: new Promise<void>((resolve) => (stored = resolve)),
      over: after.over,
    };
    let group: WriteJob[] | undefined;
    const take = (): WriteJob[] => {
      if (!group) {
        group = this.takeGroup();
        this.taking = false;
        this.schedule();
      }
      return group;
    };
    this.taking = true;
    this.running++;
    this.last = steps;
    steps.over = this.commitGroup(take, after, stored).finally(async () => {
      // However this group ended (a failure at BEGIN or in its INSERT skips its waits), the
      // next goes no earlier than it would after the group before: it stores after that one
      // has its seqs, and commits after it is over.
      await after.stored;
      stored();
      await after.over;
      this.running--;
      this.schedule();
    });
  }

  /**
   * The waiting batches, up to {@link MAX_GROUP_EVENTS} events (at least one batch); a batch
   * to commit alone only by itself.
   */
  private takeGroup(): WriteJob[] {
    if (this.queued[0]?.alone) return this.queued.splice(0, 1);
    let events = 0;
    let n = 0;
    while (
      n < this.queued.length &&
      !this.queued[n].alone &&
      (n === 0 || events + this.queued[n].batch.size <= MAX_GROUP_EVENTS)
    ) {
      events += this.queued[n++].batch.size;
    }
    return this.queued.splice(0, n);
  }

  /** One group commit; when it fails, what becomes of its batches ({@link afterFailure}). */
  private async commitGroup(take: () => WriteJob[], after: CommitSteps, stored: () => void): Promise<void> {
    try {
      await this.commit(take, after, stored);
    } catch (err) {
      // A transaction that failed to begin has taken nothing yet: its batches are answered too.
      this.afterFailure(take(), busyOr(err));
    }
  }

  /**
   * What becomes of the batches of a failed transaction. A busy database fails them all
   * alike (trying again would only wait for it again, on SQLite with the event loop blocked
   * each time), as it fails a lone batch. Otherwise they go back to the head of the queue, for
   * a later commit: the whole group again after a conflict (deadlock, serialization; up to
   * {@link MAX_TRIES} transactions), else each batch alone, so one bad batch fails only
   * itself. Never again in the same place: the next group may have stored its events already
   * and be waiting for this one, and a re-run would take seqs after its, commit before it,
   * and wait on its uncommitted rows while it waits for this one.
   */
  private afterFailure(jobs: WriteJob[], failure: unknown): void {
    const conflict = RETRYABLE.has((failure as { code?: string } | null)?.code ?? '');
    if (conflict) for (const job of jobs) job.conflicts = (job.conflicts ?? 0) + 1;
    if (!(failure instanceof DatabaseBusyError)) {
      if (conflict && jobs.every((job) => job.conflicts! < MAX_TRIES)) {
        this.queued.unshift(...jobs);
        return;
      }
      if (jobs.length > 1) {
        for (const job of jobs) {
          job.alone = true;
          job.conflicts = 0;
        }
        this.queued.unshift(...jobs);
        return;
      }
    }
    for (const job of jobs) job.reject(failure);
  }

  /**
   * Stores the batches `take` gives in one transaction, once the group before has stored
   * its events, and answers each after commit; throws what failed it, answering none.
   */
  private async commit(take: () => WriteJob[], after: CommitSteps, storedAll: () => void): Promise<void> {
    let jobs: WriteJob[] = [];
    const stored = await this.driver.transaction(async (tx) => {
      // The group before takes its seqs first, so seq order is commit order.
      await after.stored;
      jobs = take();
      const receivedAt = Date.now() * 1000;
      const out =
        this.driver.dialect === 'postgres'
          ? await insertUnnest(tx, jobs, receivedAt)
          : await insertValues(tx, jobs, receivedAt);
      storedAll();
      // The group before goes first from here: it takes its rollup rows' locks first (no
      // wait between the two could deadlock), and it commits, and is announced, first.
      await after.over;
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
    });
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
      // No RETURNING: on SQLite it makes the insert cost about 1.4× as much (server-ingest-floor,
      // 500 rows a statement). This connection holds the write lock, and seq is the
      // rowid, each new row's one more than the largest, in VALUES order: the rows this
      // statement stored are the table's newest.
      const stored = await tx.run(insertSql(chunk.length), params);
      if (stored === 0) continue;
      const [{ last }] = await tx.all<{ last: number }>('SELECT last_insert_rowid() AS last');
      if (stored === chunk.length) {
        // None was a duplicate: the chunk took the seqs up to the last, one after another.
        const first = Number(last) - stored + 1;
        chunk.forEach((e, k) => inserted.push(stamp(e, first + k, receivedAt)));
      } else {
        const rows = await tx.all<{ seq: number; event_id: string }>(NEWEST_STORED_SQL, [last, stored]);
        for (let k = rows.length - 1; k >= 0; k--)
          inserted.push(stamp(batch.get(rows[k].event_id)!, rows[k].seq, receivedAt));
      }
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

/** SQLite: the rows the last insert stored (newest first), when some of its rows were duplicates. */
const NEWEST_STORED_SQL = 'SELECT seq, event_id FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT ?';

const insertSqlCache = new Map<number, string>();

function insertSql(rows: number): string {
  let sql = insertSqlCache.get(rows);
  if (sql === undefined) {
    sql = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${placeholders(rows, EVENT_COLUMNS.length)}
      ON CONFLICT (project_id, event_id) DO NOTHING`;
    insertSqlCache.set(rows, sql);
  }
  return sql;
}
