import type { DenialReason, SudoAction, SudoEvent } from '@agentsudo/core';
import type { Outcome } from '../outcome';

/**
 * One stored event. Times are microseconds since the epoch: the original Python SDK stamps
 * microseconds and we keep them.
 *
 * @example
 * ```ts
 * const e: EventRecord = { eventId: 'e1', ts: 1_780_000_000_000_000, agentName: 'Bot',
 *   action: 'permission_check', allowed: true, scope: 'read:orders' };
 * ```
 */
export interface EventRecord extends Omit<SudoEvent, 'timestamp'> {
  /** Insertion order within the database; the tie-breaker of cursors. */
  seq?: number;
  /** When it happened (µs); the event's `timestamp` at full precision. */
  ts: number;
  /** When the server stored it (µs). */
  receivedAt?: number;
}

/**
 * Which events a query or export selects. Every field is optional; times are µs, `to`
 * exclusive; `scope` may hold `*` wildcards (`read:*`).
 *
 * @example
 * ```ts
 * const f: EventFilter = { agent: 'SupportBot', allowed: false, scope: 'write:*' };
 * ```
 */
export interface EventFilter {
  agent?: string;
  scope?: string;
  allowed?: boolean;
  /** allowed / denied / audit / info, as the dashboard colours events (see `outcomeOf`). */
  outcome?: Outcome;
  action?: SudoAction;
  /**
   * Why the call was refused, as `reasonOf` reads it: a denial stored without a reason
   * matches `scope`.
   */
  reason?: DenialReason;
  /** Every step of one approval. */
  approvalId?: string;
  functionName?: string;
  sessionId?: string;
  /**
   * Free text: events whose agent, scope, function, action, session id or event id contain
   * it, ignoring case (ASCII letters on SQLite). `%`, `_` and `*` are plain characters here.
   */
  search?: string;
  from?: number;
  to?: number;
}

/**
 * The columns free-text search looks in, as stored (snake_case).
 *
 * @example
 * ```ts
 * SEARCH_COLUMNS.includes('function_name'); // true
 * ```
 */
export const SEARCH_COLUMNS = [
  'agent_name',
  'scope',
  'function_name',
  'action',
  'session_id',
  'event_id',
] as const;

/**
 * A position in a listing: the last event seen. Listings run newest first; exports oldest
 * first.
 *
 * @example
 * ```ts
 * const next: EventCursor = { ts: last.ts, seq: last.seq! };
 * ```
 */
export interface EventCursor {
  ts: number;
  seq: number;
}

/**
 * A page of events, newest first, and the cursor of the next page when there is one.
 *
 * @example
 * ```ts
 * const { events, next } = await storage.events.list(projectId, {}, { limit: 50 });
 * ```
 */
export interface EventPage {
  events: EventRecord[];
  next?: EventCursor;
}

/**
 * The granularity of the stats time series.
 *
 * @example
 * ```ts
 * const b: Bucket = 'hour';
 * ```
 */
export type Bucket = 'minute' | 'hour' | 'day';

/**
 * Checks by outcome (`outcomeOf`), shared by totals, buckets and agents in {@link Stats}.
 * `events` counts checks: allowed + denied + audit (session start and end are not checks).
 *
 * @example
 * ```ts
 * const c: Counts = { events: 10, allowed: 7, denied: 2, audit: 1 };
 * ```
 */
export interface Counts {
  events: number;
  allowed: number;
  denied: number;
  /** Audit-mode violations: the call ran, but would have been denied. Not in `denied`. */
  audit: number;
}

/**
 * Project statistics over `[from, to)` (µs). Each bucket also holds its denials by reason.
 *
 * @example
 * ```ts
 * const s = await storage.stats.summary(projectId, { from, to, bucket: 'hour' });
 * s.totals.denied / s.totals.events;
 * ```
 */
export interface Stats {
  from: number;
  to: number;
  bucket: Bucket;
  totals: Counts;
  activeAgents: number;
  /** Every bucket in the range, oldest first, zeros included; `start` in µs. */
  buckets: Array<Counts & { start: number; reasons: Record<DenialReason, number> }>;
  topDeniedScopes: Array<{ scope: string; denied: number }>;
  /** The scopes of the most audit-mode violations, most first. */
  topAuditScopes: Array<{ scope: string; audit: number }>;
  /**
   * The range's denials by reason (`reasonOf`: one stored without a reason counts as
   * `scope`); every reason is present, zeros included, and they add up to `totals.denied`.
   */
  reasons: Record<DenialReason, number>;
  agents: Array<Counts & { agentName: string }>;
}

/**
 * What one agent has done in a project, from first to last event.
 *
 * @example
 * ```ts
 * for (const a of await storage.stats.agents(projectId)) console.log(a.agentName, a.scopes.length);
 * ```
 */
export interface AgentSummary {
  agentName: string;
  firstSeen: number;
  lastSeen: number;
  /** Every event, session start and end included. */
  events: number;
  denied: number;
  /** Audit-mode violations (not counted in `denied`). */
  audit: number;
  scopes: Array<{
    scope: string;
    firstSeen: number;
    lastSeen: number;
    events: number;
    denied: number;
    audit: number;
  }>;
}

/**
 * A project: events and keys belong to exactly one.
 *
 * @example
 * ```ts
 * const { project, apiKey } = await admin.createProject('checkout');
 * ```
 */
export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: number;
}

/**
 * What an API key is for: `ingest` keys write events, `read` tokens read them.
 *
 * @example
 * ```ts
 * const kind: KeyKind = 'read';
 * ```
 */
export type KeyKind = 'ingest' | 'read';

/**
 * A stored key: only its hash and a short prefix (for humans) are kept.
 *
 * @example
 * ```ts
 * const key = await storage.accounts.findKeyByHash(hashKey(presented));
 * ```
 */
export interface KeyRecord {
  id: string;
  projectId: string;
  kind: KeyKind;
  prefix: string;
  keyHash: string;
  createdAt: number;
  revokedAt?: number;
}

/**
 * A dashboard login.
 *
 * @example
 * ```ts
 * const user = await storage.accounts.findUserByEmail('ops@example.com');
 * ```
 */
export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  createdAt: number;
}

/**
 * The outcome of one ingested batch.
 *
 * @example
 * ```ts
 * const { accepted, duplicates } = await storage.writer.insert(projectId, records);
 * ```
 */
export interface InsertResult {
  accepted: number;
  duplicates: number;
}

/**
 * Recent login attempts under one key (`ip:…` or `email:…`), as the login limiter reads them.
 *
 * @example
 * ```ts
 * const c: LoginAttemptCount = { key: 'email:ada@example.com', count: 3, oldest: Date.now() - 60_000 };
 * ```
 */
export interface LoginAttemptCount {
  key: string;
  count: number;
  /** When the oldest counted attempt was made (ms). */
  oldest: number;
}
