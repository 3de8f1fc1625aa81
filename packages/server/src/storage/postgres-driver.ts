import { Client, Pool, types, type PoolClient } from 'pg';
import type { NotificationChannel, SqlDriver, SqlExecutor } from './driver';

/** The LISTEN/NOTIFY channel every instance of one deployment shares. */
const CHANNEL = 'agentsudo_events';
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
  private listener?: Client;
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
      listen: (onPayload) => this.listen(onPayload),
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
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async listen(onPayload: (payload: string) => void): Promise<void> {
    const client = new Client({ connectionString: this.url, types: numericTypes });
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) onPayload(msg.payload);
    });
    client.on('error', () => {
      // A dropped LISTEN connection is re-opened so the live feed recovers by itself.
      if (this.closed) return;
      this.listener = undefined;
      setTimeout(() => {
        if (!this.closed) this.listen(onPayload).catch(() => undefined);
      }, 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
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
