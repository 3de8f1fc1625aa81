import { PostgresDriver, type PostgresTimeouts } from './postgres-driver';
import { SqlStorage } from './sql-storage';
import { SqliteDriver, type SqliteSync } from './sqlite-driver';
import type { Storage } from './storage';

/**
 * Where the server keeps its data: a SQLite file (the default) or a PostgreSQL URL, and for
 * PostgreSQL how long to wait for it ({@link PostgresTimeouts}).
 *
 * @example
 * ```ts
 * const where: StorageOptions = { databaseUrl: process.env.DATABASE_URL, queryTimeoutMs: 30_000 };
 * ```
 */
export interface StorageOptions extends PostgresTimeouts {
  /** SQLite file; defaults to `./agentsudo.db`. */
  db?: string;
  /** PostgreSQL URL (`postgres://…`); wins over `db`. */
  databaseUrl?: string;
  /** SQLite commit durability, `normal` by default. */
  sqliteSync?: SqliteSync;
  /** PostgreSQL pool size per instance, 10 by default. */
  maxConnections?: number;
}

/**
 * The default SQLite file, relative to the working directory.
 *
 * @example
 * ```ts
 * DEFAULT_DB_FILE; // './agentsudo.db'
 * ```
 */
export const DEFAULT_DB_FILE = './agentsudo.db';

/**
 * Opens (and migrates) the storage.
 *
 * @example
 * ```ts
 * const storage = await openStorage({ db: '/var/lib/agentsudo/agentsudo.db' });
 * ```
 */
export async function openStorage(options: StorageOptions = {}): Promise<Storage> {
  if (options.databaseUrl) {
    return SqlStorage.open(
      new PostgresDriver(options.databaseUrl, {
        maxConnections: options.maxConnections,
        connectTimeoutMs: options.connectTimeoutMs,
        queryTimeoutMs: options.queryTimeoutMs,
        heartbeatMs: options.heartbeatMs,
      }),
    );
  }
  return SqlStorage.open(
    new SqliteDriver(options.db ?? DEFAULT_DB_FILE, { synchronous: options.sqliteSync }),
  );
}
