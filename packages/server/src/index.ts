/**
 * @agentsudo/server: the collector API, storage and live feed behind the AgentSudo
 * dashboard. SQLite by default, PostgreSQL to run several instances.
 *
 * @example
 * ```ts
 * import { createServer } from '@agentsudo/server';
 * const server = await createServer({ db: './agentsudo.db' });
 * const { apiKey } = await server.admin.createProject('checkout');
 * await server.listen(); // http://127.0.0.1:4319
 * ```
 */
export {
  createServer,
  DEFAULT_PORT,
  type AgentSudoServer,
  type ServerOptions,
  type ServerContext,
} from './server';
export {
  projectAccess,
  ProjectAccessMissingError,
  type ProjectAccessOptions,
  type ProjectGrant,
} from './http/project-access';
export { dashboard, type DashboardOptions } from './dashboard';
export { parseTrustProxy, type TrustProxy, type ProxyTrust } from './http/trust-proxy';
export { Admin, type KeyInfo, type ProjectInfo, type UserInfo } from './admin';
export { Access, SESSION_COOKIE, type Reader, type Credential } from './auth/access';
export { KEY_PREFIXES, generateKey, hashKey } from './auth/keys';
export { CSRF_HEADER, csrfTokenFor, requireCsrfToken } from './auth/csrf';
export { hashPassword, verifyPassword, MIN_PASSWORD_LENGTH } from './auth/passwords';
export {
  LoginLimiter,
  loginKeys,
  DEFAULT_LOGIN_LIMITS,
  type LoginAttempt,
  type LoginLimits,
  type Lockout,
} from './auth/login-limiter';
export {
  AdminError,
  ProjectNotFoundError,
  ProjectExistsError,
  KeyNotFoundError,
  AmbiguousKeyPrefixError,
  UserExistsError,
  UserNotFoundError,
  OnlyUserError,
  InvalidInputError,
  PortInUseError,
} from './errors';
export { ApiError } from './http/api-error';
export { toApiEvent, CSV_COLUMNS } from './http/api-event';
export { OUTCOMES, LIFECYCLE_ACTIONS, AUDIT_ACTION, outcomeOf, type Outcome } from './outcome';
export { MAX_REPLAY_EVENTS } from './http/live-routes';
export {
  LiveConnections,
  LiveLimitError,
  DEFAULT_LIVE_LIMITS,
  liveLimits,
  type LiveLimits,
} from './http/live-connections';
export { CredentialWatch, CREDENTIAL_CHECK_MS, type CredentialEnd } from './auth/credential-watch';
export { MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_EVENT_AHEAD_US, WIRE_EVENT_SCHEMA } from './http/wire-schema';
export { openStorage, openStorageOn, DEFAULT_DB_FILE, type StorageOptions } from './storage/open';
export type { Storage } from './storage/storage';
export type {
  EventRecord,
  EventFilter,
  EventCursor,
  EventPage,
  Stats,
  Bucket,
  Counts,
  AgentSummary,
  ProjectRecord,
  KeyRecord,
  KeyKind,
  LoginAttemptCount,
  UserRecord,
  InsertResult,
} from './storage/records';
export type { Accounts } from './storage/accounts';
export type { LoginAttempts } from './storage/login-attempts';
export {
  DatabaseBusyError,
  DEFAULT_MAX_PENDING_EVENTS,
  MIN_MAX_PENDING_EVENTS,
  projectPendingLimit,
  WriterOverloadedError,
  type EventWriter,
  type InsertOptions,
} from './storage/event-writer';
export type { EventQueries } from './storage/event-queries';
export type { EventStats } from './storage/event-stats';
export type { EventRetention } from './storage/event-retention';
export type { LiveEvents } from './storage/live-fanout';
export { SqliteDriver, type SqliteSync } from './storage/sqlite-driver';
export { UnsafeDatabaseFileError } from './storage/database-file';
export { PostgresDriver } from './storage/postgres-driver';
export type {
  SqlDriver,
  SqlExecutor,
  Dialect,
  NotificationChannel,
  NotificationHandlers,
} from './storage/driver';
export {
  MIGRATIONS,
  migrate,
  UnknownMigrationsError,
  type Migration,
  type MigrationStep,
} from './storage/migrations';
export { isoToMicros, microsToIso } from './storage/time';
export { runRetention, startRetention } from './retention';
