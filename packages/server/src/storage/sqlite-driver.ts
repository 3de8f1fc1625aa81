import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { prepareDatabaseFile } from './database-file';
import type { SqlDriver, SqlExecutor } from './driver';

/** Prepared statements kept per connection; more distinct SQL texts than the server uses. */
const MAX_CACHED_STATEMENTS = 256;

/**
 * How hard SQLite syncs each commit. `normal` (the default) survives a crash of the
 * process (the write-ahead log is in the OS cache); `full` also survives power loss.
 *
 * @example
 * ```ts
 * new SqliteDriver('./agentsudo.db', { synchronous: 'full' });
 * ```
 */
export type SqliteSync = 'normal' | 'full';

/**
 * better-sqlite3 behind the async driver surface. One writer connection (transactions are
 * queued, never interleaved) and one reader connection: in WAL mode readers see only
 * committed data and never wait for the writer. The file is private (see
 * {@link prepareDatabaseFile}): 0600 in a directory created 0700.
 *
 * @example
 * ```ts
 * const driver = new SqliteDriver('/var/lib/agentsudo/agentsudo.db');
 * ```
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly writer: SqliteDatabase;
  private readonly reader: SqliteDatabase;
  private readonly statements = new Map<SqliteDatabase, Map<string, Statement>>();
  /** Tail of the write queue: each write waits for the one before it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    options: { synchronous?: SqliteSync } = {},
  ) {
    // An in-memory database exists only on its own connection: read through the writer.
    const inMemory = file === ':memory:' || file === '';
    if (!inMemory) prepareDatabaseFile(file);
    this.writer = new Database(file);
    // First: switching a new file to WAL needs a lock that another process opening the same
    // file at the same moment may hold; waiting beats failing with "database is locked".
    this.writer.pragma('busy_timeout = 5000');
    if (!inMemory) switchToWal(this.writer);
    this.writer.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.writer.pragma('foreign_keys = ON');
    // A larger page cache keeps the event indexes' hot pages in memory, and fewer, larger
    // checkpoints mean fewer syncs of the database file under sustained ingest.
    this.writer.pragma('cache_size = -65536');
    this.writer.pragma('wal_autocheckpoint = 10000');
    this.reader = inMemory ? this.writer : new Database(file);
    if (!inMemory) {
      this.reader.pragma('busy_timeout = 5000');
      this.reader.pragma('cache_size = -32768');
    }
    for (const db of new Set([this.writer, this.reader])) {
      // LIKE is case-sensitive in PostgreSQL; make SQLite agree so filters match the same rows.
      db.pragma('case_sensitive_like = ON');
      this.statements.set(db, new Map());
    }
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      return Promise.resolve(this.prepare(this.reader, sql).all(...bind(params)) as T[]);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.enqueue(() => this.prepare(this.writer, sql).run(...bind(params)).changes);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      const tx: SqlExecutor = {
        all: async <R>(sql: string, params: readonly unknown[] = []) =>
          this.prepare(this.writer, sql).all(...bind(params)) as R[],
        run: async (sql: string, params: readonly unknown[] = []) =>
          this.prepare(this.writer, sql).run(...bind(params)).changes,
      };
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        this.writer.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    });
  }

  externalCommits(): number {
    // Per connection: the writer's counter moves only for commits by other connections,
    // which here means other processes (the reader never writes).
    return this.writer.pragma('data_version', { simple: true }) as number;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }

  private enqueue<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private prepare(db: SqliteDatabase, sql: string): Statement {
    const cache = this.statements.get(db)!;
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** better-sqlite3 takes no booleans or undefined: store 0/1 and NULL. */
function bind(params: readonly unknown[]): unknown[] {
  const out = params as unknown[];
  for (let i = 0; i < out.length; i++) {
    const p = out[i];
    // Rewritten in place only when needed: ingest passes thousands of ready values.
    if (p === undefined || typeof p === 'boolean')
      return params.map((v) => (v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v));
  }
  return out;
}

/** How long opening a file keeps trying to switch it to WAL while other processes do the same. */
const WAL_SWITCH_MS = 15_000;

/**
 * Switches the database to WAL. Two processes switching a new file at the same moment can
 * each hold a lock the other needs; SQLite then fails one of them at once ("database is
 * locked", whatever `busy_timeout` says) or leaves the mode unchanged. Either way this
 * waits a few milliseconds and tries again.
 */
function switchToWal(db: SqliteDatabase): void {
  const until = Date.now() + WAL_SWITCH_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = WAL', { simple: true });
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw err;
    }
    if (mode === 'wal') return;
    if (mode !== undefined && Date.now() >= until)
      throw new Error(`SQLite kept the database in ${String(mode)} mode; could not switch it to WAL.`);
    Atomics.wait(pause, 0, 0, 10 + Math.random() * 40);
  }
}
