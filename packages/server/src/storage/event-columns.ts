import type { EventRecord } from './records';

/**
 * The columns of `events` that ingest writes, in the order of every insert: the event writer
 * on both engines, the CSV export (as wire names) and the query-layer benchmark read this one
 * list, so a new column is added here and nowhere else. `seq` is the database's.
 *
 * @example
 * ```ts
 * `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${placeholders(n, EVENT_COLUMNS.length)}`;
 * ```
 */
export const EVENT_COLUMNS = [
  'project_id',
  'event_id',
  'ts',
  'agent_name',
  'agent_id',
  'role',
  'session_id',
  'action',
  'scope',
  'allowed',
  'function_name',
  'sdk',
  'metadata',
  'received_at',
  'reason',
  'approval_id',
  'decided_by',
] as const;

/**
 * One of {@link EVENT_COLUMNS}.
 *
 * @example
 * ```ts
 * const c: EventColumn = 'reason';
 * ```
 */
export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** Columns that are not text. */
const TYPES: Partial<Record<EventColumn, string>> = {
  ts: 'bigint',
  allowed: 'integer',
  received_at: 'bigint',
};

/**
 * PostgreSQL types of {@link EVENT_COLUMNS}, in the same order, for the unnest insert.
 *
 * @example
 * ```ts
 * unnestRows(EVENT_TYPES); // SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], …)
 * ```
 */
export const EVENT_TYPES: readonly string[] = EVENT_COLUMNS.map((c) => TYPES[c] ?? 'text');

/**
 * One event's values, in {@link EVENT_COLUMNS} order; absent fields are NULL.
 *
 * @example
 * ```ts
 * for (const e of batch) params.push(...eventRow(projectId, e, Date.now() * 1000));
 * ```
 */
export function eventRow(projectId: string, e: EventRecord, receivedAt: number): unknown[] {
  return [
    projectId,
    e.eventId,
    e.ts,
    e.agentName,
    e.agentId ?? null,
    e.role ?? null,
    e.sessionId ?? null,
    e.action,
    e.scope ?? null,
    e.allowed ? 1 : 0,
    e.functionName ?? null,
    e.sdk ?? null,
    e.metadata == null ? null : JSON.stringify(e.metadata),
    receivedAt,
    e.reason ?? null,
    e.approvalId ?? null,
    e.decidedBy ?? null,
  ];
}
