/**
 * How a statement is handed to a driver.
 *
 * @example
 * ```ts
 * await tx.all('SELECT id FROM projects WHERE id = $1', ['prj_1'], { nativePlaceholders: true });
 * ```
 */
export interface StatementOptions {
  /**
   * The SQL already writes its parameters the way its database takes them (`$1, $2, …` on
   * PostgreSQL, `?` on SQLite), as a query compiler for that database does: the driver runs
   * it as it is. Without it, the PostgreSQL driver numbers each `?` itself, which would also
   * rewrite a `?` inside a string literal.
   */
  nativePlaceholders?: boolean;
}

/**
 * The small SQL surface both databases offer. The storage is written once against it, so
 * SQLite and PostgreSQL run the same statements (written with `?` placeholders; the
 * PostgreSQL driver numbers them, unless {@link StatementOptions.nativePlaceholders} says
 * they are numbered already).
 *
 * @example
 * ```ts
 * const rows = await driver.all<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE project_id = ?', [id]);
 * ```
 */
export interface SqlExecutor {
  /** Runs a statement and returns its rows (also for `INSERT … RETURNING`). */
  all<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: StatementOptions,
  ): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[], options?: StatementOptions): Promise<number>;
}

/**
 * Which database a driver talks to.
 *
 * @example
 * ```ts
 * const dialect: Dialect = 'sqlite';
 * ```
 */
export type Dialect = 'sqlite' | 'postgres';

/**
 * A connection (or pool) to one database.
 *
 * @example
 * ```ts
 * await driver.transaction(async (tx) => { await tx.run('DELETE FROM events WHERE ts < ?', [cutoff]); });
 * ```
 */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Inside tx, waits for and holds until commit a lock on `name` that every instance
   * respects (PostgreSQL advisory lock). Absent on SQLite, whose write transactions
   * (`BEGIN IMMEDIATE`) hold the database's write lock from their start and so run one at
   * a time across processes anyway.
   */
  lockInTransaction?(tx: SqlExecutor, name: string): Promise<void>;
  /**
   * Cross-instance notifications (PostgreSQL LISTEN/NOTIFY). Absent on SQLite, where one
   * process owns the file and fan-out stays in memory.
   */
  readonly notifications?: NotificationChannel;
  /**
   * A number that changes whenever another process commits to the database (SQLite's
   * `data_version`), read without I/O. Absent where `notifications` tell instead.
   */
  externalCommits?(): number;
  close(): Promise<void>;
}

/**
 * What a {@link NotificationChannel} tells its listener: each payload, and when its
 * connection was lost and came back (notifications sent in between never arrive).
 *
 * @example
 * ```ts
 * await channel.listen({ payload: (p) => console.log(p), resumed: () => console.log('catch up') });
 * ```
 */
export interface NotificationHandlers {
  payload(payload: string): void;
  /** The connection was lost; the channel reconnects by itself, with backoff. */
  lost?(): void;
  /** The channel listens again after a loss; what was sent in between was missed. */
  resumed?(): void;
}

/**
 * Publish/subscribe between server instances sharing a database.
 *
 * @example
 * ```ts
 * await channel.listen({ payload: (p) => console.log(p) });
 * await channel.notify(tx, 'p1|10-20');
 * ```
 */
export interface NotificationChannel {
  /**
   * Starts listening (once per channel); resolves once notifications sent afterwards will
   * arrive. A lost connection is re-opened until the driver closes.
   */
  listen(handlers: NotificationHandlers): Promise<void>;
  /** Queues a notification inside tx; delivered to every listener at commit. */
  notify(tx: SqlExecutor, payload: string): Promise<void>;
}
