import { Client, Pool, types, type PoolClient } from 'pg';
import type { NotificationChannel, NotificationHandlers, SqlDriver, SqlExecutor } from './driver';

/** The LISTEN/NOTIFY channel every instance of one deployment shares. */
const CHANNEL = 'agentsudo_events';
/** The LISTEN connection's name in `pg_stat_activity`, so operators can tell it apart. */
const LISTEN_APPLICATION = 'agentsudo-listen';
/** Reconnecting the LISTEN connection waits about this long at first, doubling per failure… */
const RECONNECT_BASE_MS = 250;
/** …up to this long. */
const RECONNECT_MAX_MS = 15_000;
/** int8 and numeric: our values (counts, microsecond times) fit in a double exactly. */
const NUMERIC_OIDS = new Set([20, 1700]);

const numericTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (NUMERIC_OIDS.has(oid)) return (v: string) => Number(v);
    return types.getTypeParser(oid, format as 'text');
  },
};

/**
 * PostgreSQL (node-postgres pool) behind the async driver surface, plus LISTEN/NOTIFY so
 * several server instances on one database see each other's events.
 *
 * @example
 * ```ts
 * const driver = new PostgresDriver('postgres://agentsudo@127.0.0.1/agentsudo');
 * ```
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly notifications: NotificationChannel;
  private readonly pool: Pool;
  /** The one LISTEN connection while it is up; undefined while it is being re-opened. */
  private listener?: Client;
  private handlers?: NotificationHandlers;
  /** Cuts a reconnection's wait short when the driver closes. */
  private wake?: () => void;
  private closed = false;
  private readonly sqlCache = new Map<string, string>();

  constructor(
    readonly url: string,
    options: { maxConnections?: number } = {},
  ) {
    this.pool = new Pool({ connectionString: url, max: options.maxConnections ?? 10, types: numericTypes });
    // An idle client losing its connection must not crash the server; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.notifications = {
      listen: (handlers) => this.listen(handlers),
      notify: async (tx, payload) => {
        await tx.all('SELECT pg_notify(?, ?)', [CHANNEL, payload]);
      },
    };
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.pool.query(this.number(sql), params as unknown[])).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.pool.query(this.number(sql), params as unknown[])).rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = this.executor(client);
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async lockInTransaction(tx: SqlExecutor, name: string): Promise<void> {
    await tx.all('SELECT pg_advisory_xact_lock(hashtext(?))', [name]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async listen(handlers: NotificationHandlers): Promise<void> {
    // One LISTEN connection per driver, however often this is called: the newest handlers get
    // what it receives.
    const listening = this.handlers !== undefined;
    this.handlers = handlers;
    if (!listening) await this.openListener();
  }

  /** Opens the LISTEN connection; throws when it cannot. */
  private async openListener(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      types: numericTypes,
      application_name: LISTEN_APPLICATION,
    });
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) this.handlers!.payload(msg.payload);
    });
    // node-postgres may report one lost connection several times ('error', more than once,
    // then 'end'); only the first report about the current listener counts.
    client.on('error', () => this.listenerLost(client));
    client.on('end', () => this.listenerLost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) await client.end().catch(() => undefined);
    else this.listener = client;
  }

  private listenerLost(client: Client): void {
    if (client !== this.listener || this.closed) return;
    this.listener = undefined;
    client.end().catch(() => undefined);
    this.handlers!.lost?.();
    void this.reconnect();
  }

  /** Re-opens the LISTEN connection with backoff until it listens again or the driver closes. */
  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      // Equal jitter: instances that lost the database together do not return together.
      const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt - 1, 16));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ceiling / 2 + (ceiling / 2) * Math.random());
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.closed) return;
      try {
        await this.openListener();
      } catch {
        continue;
      }
      if (this.listener) this.handlers!.resumed?.();
      return;
    }
  }

  private executor(client: PoolClient): SqlExecutor {
    return {
      all: async <R>(sql: string, params: readonly unknown[] = []) =>
        (await client.query(this.number(sql), params as unknown[])).rows as R[],
      run: async (sql: string, params: readonly unknown[] = []) =>
        (await client.query(this.number(sql), params as unknown[])).rowCount ?? 0,
    };
  }

  /** `?` → `$1, $2, …`; our SQL never holds a `?` inside a literal. */
  private number(sql: string): string {
    let out = this.sqlCache.get(sql);
    if (out === undefined) {
      let i = 0;
      out = sql.replace(/\?/g, () => `$${++i}`);
      if (this.sqlCache.size > 256) this.sqlCache.clear();
      this.sqlCache.set(sql, out);
    }
    return out;
  }
}
