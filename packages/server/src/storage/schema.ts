import type { ColumnType, Generated } from 'kysely';
import type { KeyKind } from './records';

/*
 * The tables the migrations in migrations.ts create, as the query layer sees them. Column
 * names are snake_case, as stored. Times are integers in JavaScript numbers, as both drivers
 * return them: better-sqlite3 reads INTEGER as a number, and the PostgreSQL driver parses
 * BIGINT (and NUMERIC, such as SUM over BIGINT) into numbers, since microseconds since the
 * epoch and our counts stay below 2^53. A migration that adds or changes a column changes its
 * table here in the same commit (query-layer-schema.test.ts compares the two on both engines).
 */

/**
 * `projects`: one row per project.
 *
 * @example
 * ```ts
 * const row: ProjectsTable = { id: 'prj_1a2b', name: 'checkout', created_at: Date.now() };
 * ```
 */
export interface ProjectsTable {
  id: string;
  name: string;
  /** Milliseconds since the epoch. */
  created_at: number;
}

/**
 * `api_keys`: ingest keys and read tokens, stored as a hash; `revoked_at` is set once revoked.
 *
 * @example
 * ```ts
 * const row: ApiKeysTable = { id: 'key_1', project_id: 'prj_1a2b', kind: 'ingest', prefix: 'as_Jx3q9Kd0',
 *   key_hash: 'e3b0…', created_at: Date.now(), revoked_at: null };
 * ```
 */
export interface ApiKeysTable {
  id: string;
  project_id: string;
  kind: KeyKind;
  /** The first characters of the key, shown to tell keys apart. */
  prefix: string;
  key_hash: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  /** Milliseconds since the epoch; null while the key is valid. */
  revoked_at: number | null;
}

/**
 * `users`: dashboard logins.
 *
 * @example
 * ```ts
 * const row: UsersTable = { id: 'usr_1', email: 'ops@example.com', password_hash: 'scrypt$…', created_at: Date.now() };
 * ```
 */
export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  /** Milliseconds since the epoch. */
  created_at: number;
}

/**
 * `login_sessions`: one row per signed-in browser, keyed by the hash of its cookie.
 *
 * @example
 * ```ts
 * const row: LoginSessionsTable = { token_hash: 'e3b0…', user_id: 'usr_1', created_at: now, expires_at: now + 86_400_000 };
 * ```
 */
export interface LoginSessionsTable {
  token_hash: string;
  user_id: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  /** Milliseconds since the epoch. */
  expires_at: number;
}

/**
 * `login_attempts`: one row per attempt and key (client address, email), shared by every
 * instance so a login limit holds across them.
 *
 * @example
 * ```ts
 * const row: LoginAttemptsTable = { attempt_id: 'a1', key: 'email:ops@example.com', at: Date.now() };
 * ```
 */
export interface LoginAttemptsTable {
  attempt_id: string;
  key: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/**
 * `events`: every stored event. `seq` is given by the database (SQLite's rowid, a PostgreSQL
 * identity column), so an insert leaves it out; `allowed` is 1 or 0 (an INTEGER on both
 * engines, so the same SQL sums it).
 *
 * @example
 * ```ts
 * const row: Insertable<EventsTable> = { project_id: 'prj_1a2b', event_id: randomUUID(), ts: Date.now() * 1000,
 *   agent_name: 'SupportBot', action: 'permission_check', allowed: 1, received_at: Date.now() * 1000 };
 * ```
 */
export interface EventsTable {
  seq: Generated<number>;
  project_id: string;
  /** Unique per project; a repeated id is a duplicate delivery. */
  event_id: string;
  /** When it happened, microseconds since the epoch. */
  ts: number;
  agent_name: string;
  agent_id: string | null;
  role: string | null;
  session_id: string | null;
  action: string;
  scope: string | null;
  allowed: 0 | 1;
  function_name: string | null;
  /** The agent's static metadata as JSON text. */
  metadata: string | null;
  sdk: string | null;
  /** When the server stored it, microseconds since the epoch. */
  received_at: number;
  /**
   * Why the call was refused, one of core's `DENIAL_REASONS`, as the SDK sent it (migration 4).
   * NULL when it sent none: readers take a denial without one as `scope` (`REASON_SQL`).
   */
  reason: string | null;
  /** The approval this event is a step of (migration 4). */
  approval_id: string | null;
  /** Who decided the approval (migration 4). */
  decided_by: string | null;
}

/**
 * `hourly_agent_counts`: allowed, denied and audit-mode checks per project, hour and agent,
 * kept in the ingest transaction so stats read these instead of the events.
 *
 * @example
 * ```ts
 * const row: HourlyAgentCountsTable = { project_id: 'prj_1a2b', hour: 493_000, agent_name: 'SupportBot',
 *   allowed_n: 12, denied_n: 1, audit_n: 2 };
 * ```
 */
export interface HourlyAgentCountsTable {
  project_id: string;
  /** Whole hours since the epoch. */
  hour: number;
  agent_name: string;
  allowed_n: number;
  denied_n: number;
  /** Audit-mode violations (the call ran, but would have been denied); since migration 3, 0 by default. */
  audit_n: Generated<number>;
}

/**
 * `hourly_denied_scopes`: denials per project, hour and scope.
 *
 * @example
 * ```ts
 * const row: HourlyDeniedScopesTable = { project_id: 'prj_1a2b', hour: 493_000, scope: 'write:refunds', n: 3 };
 * ```
 */
export interface HourlyDeniedScopesTable {
  project_id: string;
  /** Whole hours since the epoch. */
  hour: number;
  scope: string;
  n: number;
}

/**
 * `hourly_audit_scopes`: audit-mode violations per project, hour and scope (migration 3).
 *
 * @example
 * ```ts
 * const row: HourlyAuditScopesTable = { project_id: 'prj_1a2b', hour: 493_000, scope: 'export:ledger', n: 4 };
 * ```
 */
export interface HourlyAuditScopesTable {
  project_id: string;
  /** Whole hours since the epoch. */
  hour: number;
  scope: string;
  n: number;
}

/**
 * `hourly_denied_reasons`: denials per project, hour and reason (migration 4), the reason as
 * `reasonOf` reads it (`scope` for a denial stored without one).
 *
 * @example
 * ```ts
 * const row: HourlyDeniedReasonsTable = { project_id: 'prj_1a2b', hour: 493_000, reason: 'budget', n: 2 };
 * ```
 */
export interface HourlyDeniedReasonsTable {
  project_id: string;
  /** Whole hours since the epoch. */
  hour: number;
  reason: string;
  n: number;
}

/**
 * `agent_scopes`: which scopes each agent used, when first and last, how often, how often
 * denied and how often only audited.
 *
 * @example
 * ```ts
 * const row: AgentScopesTable = { project_id: 'prj_1a2b', agent_name: 'SupportBot', scope: 'read:orders',
 *   first_seen: ts, last_seen: ts, n: 1, denied_n: 0, audit_n: 0 };
 * ```
 */
export interface AgentScopesTable {
  project_id: string;
  agent_name: string;
  scope: string;
  /** Microseconds since the epoch. */
  first_seen: number;
  /** Microseconds since the epoch. */
  last_seen: number;
  n: number;
  denied_n: number;
  /** Audit-mode violations; since migration 3, 0 by default. */
  audit_n: Generated<number>;
}

/**
 * `schema_migrations`: the migrations applied to this database, made and read by `migrate()`.
 * Its `version` is an INTEGER on both engines, so PostgreSQL returns it as a number too.
 *
 * @example
 * ```ts
 * const row: SchemaMigrationsTable = { version: 2, name: 'login attempts shared by every instance', applied_at: Date.now() };
 * ```
 */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  /** Milliseconds since the epoch. */
  applied_at: ColumnType<number, number, never>;
}

/**
 * `approvals` (migration 5): approvals held by the server, one per guarded call that asked a
 * person. Times in milliseconds since the epoch; `same_args_only` is 1 or 0.
 *
 * @example
 * ```ts
 * const row: Selectable<ApprovalsTable> = await fetchFirst(driver, db.selectFrom('approvals').selectAll().where('id', '=', id));
 * ```
 */
export interface ApprovalsTable {
  /** 128 random bits, base64url. */
  id: string;
  project_id: string;
  /** The client's key for a retried create (`request_key`, or the Python SDK's approval_id). */
  request_key: string | null;
  source: 'sdk' | 'python';
  status: 'pending' | 'approved' | 'denied' | 'expired';
  agent_name: string;
  agent_id: string | null;
  session_id: string | null;
  scope: string;
  function_name: string;
  description: string | null;
  /** 64 hex characters: HMAC of the call's arguments, made by the SDK; null from the Python SDK. */
  args_digest: string | null;
  /** The Slack channel the Python SDK named. */
  channel: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reason: string | null;
  remember_minutes: number | null;
  same_args_only: 0 | 1 | null;
  grant_id: string | null;
  consumed_at: number | null;
}

/**
 * `approval_grants` (migration 5): an agent may use a scope without asking again until
 * `expires_at`, for any arguments or (`args_digest` set) the same ones. Times in ms.
 *
 * @example
 * ```ts
 * const row: ApprovalGrantsTable = { id: 'g1', project_id: 'prj_1', approval_id: 'a1', agent_name: 'Bot',
 *   agent_id: null, scope: 'write:refunds', args_digest: null, created_at: now, created_by: 'ops@example.com',
 *   expires_at: now + 600_000, revoked_at: null, revoked_by: null };
 * ```
 */
export interface ApprovalGrantsTable {
  id: string;
  project_id: string;
  /** The approval whose decision made it. */
  approval_id: string;
  agent_name: string;
  agent_id: string | null;
  scope: string;
  args_digest: string | null;
  created_at: number;
  created_by: string;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

/**
 * `integrations` (migration 6): a project's connection to Slack or a webhook, one row per
 * kind. `config` is JSON (tokens and secrets included: no GET ever returns them whole).
 *
 * @example
 * ```ts
 * const row: IntegrationsTable = { project_id: 'prj_1', kind: 'webhook',
 *   config: '{"url":"https://ops.example.com/hook","secret":"…"}', updated_at: Date.now(), updated_by: 'ops@example.com' };
 * ```
 */
export interface IntegrationsTable {
  project_id: string;
  kind: 'slack' | 'webhook';
  config: string;
  updated_at: number;
  updated_by: string;
}

/**
 * `slack_messages` (migration 6): the Slack message that asked for an approval, so its
 * decision can update it (`chat.update` needs the channel id and the message `ts`).
 *
 * @example
 * ```ts
 * const row: SlackMessagesTable = { approval_id: 'Xk2…', project_id: 'prj_1', channel: 'C0123ABCD', ts: '1700000000.000100' };
 * ```
 */
export interface SlackMessagesTable {
  approval_id: string;
  project_id: string;
  channel: string;
  ts: string;
}

/**
 * Every table, by name: what the query layer checks table and column names against.
 *
 * @example
 * ```ts
 * const db = queryBuilder('sqlite'); // Kysely<Database>
 * db.selectFrom('api_keys').select(['id', 'revoked_at']).where('key_hash', '=', hash);
 * ```
 */
export interface Database {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  login_sessions: LoginSessionsTable;
  login_attempts: LoginAttemptsTable;
  events: EventsTable;
  hourly_agent_counts: HourlyAgentCountsTable;
  hourly_denied_scopes: HourlyDeniedScopesTable;
  hourly_audit_scopes: HourlyAuditScopesTable;
  hourly_denied_reasons: HourlyDeniedReasonsTable;
  agent_scopes: AgentScopesTable;
  schema_migrations: SchemaMigrationsTable;
  approvals: ApprovalsTable;
  approval_grants: ApprovalGrantsTable;
  integrations: IntegrationsTable;
  slack_messages: SlackMessagesTable;
}
