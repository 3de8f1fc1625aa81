import { Accounts } from './accounts';
import { Integrations } from '../integrations/integration-store';
import { Approvals } from './approvals';
import type { SqlDriver } from './driver';
import { EventQueries } from './event-queries';
import { EventRetention } from './event-retention';
import { EventStats } from './event-stats';
import { EventWriter, MAX_GROUP_EVENTS, pendingEventsLimit } from './event-writer';
import { InProcessFanOut, type LiveFanOut } from './live-fanout';
import { LoginAttempts } from './login-attempts';
import { migrate } from './migrations';
import { routeNotifications } from './notifications';
import { NotifyFanOut } from './notify-fanout';
import { EventPartitions, startPartitionUpkeep } from './partitions';
import { PostgresDriver, type PostgresTimeouts } from './postgres-driver';
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
  /** Most pending approvals one project holds (default 1000); more are refused. */
  maxPendingApprovals?: number;
  /**
   * Most ingested events held in memory, waiting for the database or in the commit running
   * (default 50,000, at least 1,000); a batch that would go over is refused whole, and ingest
   * answers 503 with Retry-After.
   */
  maxPendingEvents?: number;
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
  // Checked before the database is opened: a bad setting must not leave it open.
  pendingEventsLimit(options.maxPendingEvents);
  if (options.databaseUrl) {
    return openStorageOn(
      new PostgresDriver(options.databaseUrl, {
        maxConnections: options.maxConnections,
        connectTimeoutMs: options.connectTimeoutMs,
        queryTimeoutMs: options.queryTimeoutMs,
        heartbeatMs: options.heartbeatMs,
      }),
      options,
    );
  }
  return openStorageOn(
    new SqliteDriver(options.db ?? DEFAULT_DB_FILE, { synchronous: options.sqliteSync }),
    options,
  );
}

/**
 * The storage on a driver already made: migrates the database and, where the driver
 * carries notifications (PostgreSQL), starts listening for other instances. The driver is
 * closed if that fails, and with the storage.
 *
 * @example
 * ```ts
 * const storage = await openStorageOn(new SqliteDriver('./agentsudo.db'));
 * ```
 */
export async function openStorageOn(
  driver: SqlDriver,
  options: Pick<StorageOptions, 'maxPendingApprovals' | 'maxPendingEvents'> = {},
): Promise<Storage> {
  let stopUpkeep = async (): Promise<void> => undefined;
  try {
    const maxPendingEvents = pendingEventsLimit(options.maxPendingEvents);
    await migrate(driver);
    // PostgreSQL: today's and the coming days' partitions exist before the first insert,
    // and keep existing while the storage is open.
    if (driver.dialect === 'postgres') {
      const partitions = new EventPartitions(driver);
      await partitions.ensureAhead(Date.now());
      stopUpkeep = startPartitionUpkeep(partitions);
    }
    const accounts = new Accounts(driver);
    const notified = driver.notifications && new NotifyFanOut(driver, driver.notifications);
    const fanOut: LiveFanOut = notified ?? new InProcessFanOut();
    // One writer: approval events share the group commit of ingested ones.
    const writer = new EventWriter(driver, fanOut, maxPendingEvents);
    const approvals = new Approvals(driver, writer, options.maxPendingApprovals);
    if (driver.notifications && notified) {
      await routeNotifications(
        driver.notifications,
        { keys: accounts, events: notified, approvals: approvals.notifications },
        MAX_GROUP_EVENTS,
      );
      await notified.listening();
    }
    return {
      dialect: driver.dialect,
      accounts,
      loginAttempts: new LoginAttempts(driver),
      writer,
      events: new EventQueries(driver),
      stats: new EventStats(driver),
      retention: new EventRetention(driver, accounts),
      live: fanOut,
      approvals,
      integrations: new Integrations(driver),
      async close() {
        fanOut.close();
        approvals.close();
        await stopUpkeep();
        await driver.close();
      },
    };
  } catch (err) {
    await stopUpkeep();
    await driver.close().catch(() => undefined);
    throw err;
  }
}
