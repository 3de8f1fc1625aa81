import type { Accounts } from './accounts';
import type { Integrations } from '../integrations/integration-store';
import type { Approvals } from './approvals';
import type { Dialect } from './driver';
import type { EventQueries } from './event-queries';
import type { EventRetention } from './event-retention';
import type { EventStats } from './event-stats';
import type { EventWriter } from './event-writer';
import type { LiveEvents } from './live-fanout';
import type { LoginAttempts } from './login-attempts';

/**
 * Everything the server keeps: one repository per concern over one database (SQLite or
 * PostgreSQL), opened (and migrated) by `openStorage` and closed as one. Consumers take the
 * repository they use, not the whole: `new LoginLimiter(storage.loginAttempts)`.
 *
 * @example
 * ```ts
 * const storage = await openStorage({ db: './agentsudo.db' });
 * await storage.writer.insert(project.id, records);
 * const page = await storage.events.list(project.id, {}, { limit: 50 });
 * await storage.close();
 * ```
 */
export interface Storage {
  readonly dialect: Dialect;
  /** Projects, API keys, dashboard users and their login sessions. */
  readonly accounts: Accounts;
  /** Login attempts per client address and email, for the login limiter. */
  readonly loginAttempts: LoginAttempts;
  /** Stores ingested batches (group commit, rollups, live announcements). */
  readonly writer: EventWriter;
  /** Reads events: listings, one event, exports, what a live feed missed. */
  readonly events: EventQueries;
  /** Stats over a time range, and agents. */
  readonly stats: EventStats;
  /** Deletes old events and their rollups. */
  readonly retention: EventRetention;
  /** Batches as they are stored, on this instance or (PostgreSQL) any sharing the database. */
  readonly live: LiveEvents;
  /** Approvals held by the server, their remembered grants, and their changes as they happen. */
  readonly approvals: Approvals;
  /** Slack and webhook connections of projects, and the Slack messages of approvals. */
  readonly integrations: Integrations;
  /** Stops live fan-out and closes the database. */
  close(): Promise<void>;
}
