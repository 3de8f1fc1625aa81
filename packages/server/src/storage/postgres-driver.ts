import { Socket } from 'node:net';
import { Client, Pool, types, type PoolClient } from 'pg';
import type {
  NotificationChannel,
  NotificationHandlers,
  SqlDriver,
  SqlExecutor,
  StatementOptions,
} from './driver';

/** The LISTEN/NOTIFY channel every instance of one deployment shares. */
const CHANNEL = 'agentsudo_events';
/** The LISTEN connection's name in `pg_stat_activity`, so operators can tell it apart. */
const LISTEN_APPLICATION = 'agentsudo-listen';
/** Reconnecting the LISTEN connection waits about this long at first, doubling per failure… */
const RECONNECT_BASE_MS = 250;
/** …up to this long. */
const RECONNECT_MAX_MS = 15_000;
/** TCP keepalive probes start after this long idle, so a dead peer is noticed without traffic. */
const KEEPALIVE_DELAY_MS = 10_000;
/** close() lets connections say goodbye this long before it cuts their sockets. */
const GOODBYE_MS = 1_000;
/** int8 and numeric: our values (counts, microsecond times) fit in a double exactly. */
const NUMERIC_OIDS = new Set([20, 1700]);

const numericTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (NUMERIC_OIDS.has(oid)) return (v: string) => Number(v);
    return types.getTypeParser(oid, format as 'text');
  },
};

/**
 * How long the PostgreSQL driver waits for the database before it gives up. A path that goes
 * silent (a NAT or load balancer that dropped the connection, a failover address that accepts
 * TCP but answers nothing) never closes the connection, so without these a query, or the
 * LISTEN connection, would wait forever.
 *
 * @example
 * ```ts
 * new PostgresDriver(url, { connectTimeoutMs: 5_000, queryTimeoutMs: 30_000, heartbeatMs: 10_000 });
 * ```
 */
export interface PostgresTimeouts {
  /**
   * Opening a connection (TCP, TLS, login), or waiting for a free one in the pool, fails
   * after this long; 10 000 ms by default.
   */
  connectTimeoutMs?: number;
  /** A query with no answer after this long fails and its connection is dropped; 60 000 ms by default. */
  queryTimeoutMs?: number;
  /**
   * The LISTEN connection proves it is alive this often, and counts as lost when the proof
   * gets no answer within as long again; 15 000 ms by default.
   */
  heartbeatMs?: number;
}

/** The defaults of {@link PostgresTimeouts}. */
const DEFAULT_TIMEOUTS: Required<PostgresTimeouts> = {
  connectTimeoutMs: 10_000,
  queryTimeoutMs: 60_000,
  heartbeatMs: 15_000,
};

/** The LISTEN connection and the socket it runs on, which the driver cuts when it must. */
interface Listener {
  client: Client;
  socket: Socket;
  /** The next heartbeat. */
  beat?: NodeJS.Timeout;
}

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
  private readonly timeouts: Required<PostgresTimeouts>;
  /** The one LISTEN connection while it is up; undefined while it is being re-opened. */
  private listener?: Listener;
  /** The socket of a LISTEN connection being opened: close() cuts it, so no attempt outlives the driver. */
  private opening?: Socket;
  /** Every connection's socket (pool and LISTEN) until it closes: close() cuts those left. */
  private readonly sockets = new Set<Socket>();
  private handlers?: NotificationHandlers;
  /** Cuts a reconnection's wait short when the driver closes. */
  private wake?: () => void;
  private closed = false;
  private closing?: Promise<void>;
  private readonly sqlCache = new Map<string, string>();

  constructor(
    readonly url: string,
    options: { maxConnections?: number } & PostgresTimeouts = {},
  ) {
    this.timeouts = {
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs,
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_TIMEOUTS.queryTimeoutMs,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_TIMEOUTS.heartbeatMs,
    };
    this.pool = new Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      types: numericTypes,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      connectionTimeoutMillis: this.timeouts.connectTimeoutMs,
      // Client-side: a silent path never answers, so only the client can give up. A client
      // whose query timed out is dropped (pool.query releases it with the error; see transaction).
      query_timeout: this.timeouts.queryTimeoutMs,
      stream: () => this.socket(),
    });
    // An idle client losing its connection must not crash the server; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.notifications = {
      listen: (handlers) => this.listen(handlers),
      notify: async (tx, payload) => {
        await tx.all('SELECT pg_notify(?, ?)', [CHANNEL, payload]);
      },
    };
  }

  async all<T>(sql: string, params: readonly unknown[] = [], options?: StatementOptions): Promise<T[]> {
    return (await this.pool.query(this.number(sql, options), params as unknown[])).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = [], options?: StatementOptions): Promise<number> {
    return (await this.pool.query(this.number(sql, options), params as unknown[])).rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = this.executor(client);
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back (a silent or lost path) must not go back to
      // the pool for the next transaction to hang on.
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async lockInTransaction(tx: SqlExecutor, name: string): Promise<void> {
    await tx.all('SELECT pg_advisory_xact_lock(hashtext(?))', [name]);
  }

  /** Closes the pool and the LISTEN connection; calling it again waits for the same close. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.opening?.destroy();
    const listener = this.listener;
    this.listener = undefined;
    if (listener) clearTimeout(listener.beat);
    // Ending says goodbye and waits for the database to close the connection, which a silent
    // path never does: so it is not awaited, and what is still open after a moment is cut,
    // so nothing keeps the process alive.
    listener?.client.end().catch(() => undefined);
    await this.pool.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.sockets].map((s) => new Promise((resolve) => s.once('close', resolve)))),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, GOODBYE_MS))),
    ]);
    clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
  }

  /** A socket for one connection, tracked until it closes. */
  private socket(): Socket {
    const socket = new Socket();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
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
    // Our own socket: when the connection must go (lost, or the driver closes), it is cut at
    // once, where ending the client would wait for a goodbye a silent path never sends.
    const socket = this.socket();
    this.opening = socket;
    const client = new Client({
      connectionString: this.url,
      types: numericTypes,
      application_name: LISTEN_APPLICATION,
      stream: () => socket,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      connectionTimeoutMillis: this.timeouts.connectTimeoutMs,
      query_timeout: this.timeouts.heartbeatMs,
    });
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) this.handlers!.payload(msg.payload);
    });
    // node-postgres may report one lost connection several times ('error', more than once,
    // then 'end'); only the first report about the current listener counts.
    client.on('error', () => this.listenerLost(client));
    client.on('end', () => this.listenerLost(client));
    try {
      if (this.closed) throw new Error('the driver is closed');
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      if (this.opening === socket) this.opening = undefined;
    }
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.listener = { client, socket };
    this.heartbeat(this.listener);
  }

  /**
   * A silent path reports nothing: the connection would look up while nothing arrives. So
   * the listener repeats its LISTEN (a no-op that needs a round trip, and keeps the session
   * showing what it does in pg_stat_activity); no answer within heartbeatMs is a loss.
   */
  private heartbeat(listener: Listener): void {
    listener.beat = setTimeout(() => {
      listener.client.query(`LISTEN ${CHANNEL}`).then(
        () => {
          if (this.listener === listener) this.heartbeat(listener);
        },
        () => this.listenerLost(listener.client),
      );
    }, this.timeouts.heartbeatMs);
    // The heartbeat alone must not keep the process alive.
    listener.beat.unref();
  }

  private listenerLost(client: Client): void {
    const listener = this.listener;
    if (listener?.client !== client || this.closed) return;
    this.listener = undefined;
    clearTimeout(listener.beat);
    listener.socket.destroy();
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
      all: async <R>(sql: string, params: readonly unknown[] = [], options?: StatementOptions) =>
        (await client.query(this.number(sql, options), params as unknown[])).rows as R[],
      run: async (sql: string, params: readonly unknown[] = [], options?: StatementOptions) =>
        (await client.query(this.number(sql, options), params as unknown[])).rowCount ?? 0,
    };
  }

  /**
   * `?` → `$1, $2, …`; our hand-written SQL never holds a `?` inside a literal. Compiled
   * queries come numbered already (and may hold one), so they pass untouched.
   */
  private number(sql: string, options?: StatementOptions): string {
    if (options?.nativePlaceholders) return sql;
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
