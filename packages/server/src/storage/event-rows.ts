import type { DenialReason, SudoAction } from '@agentsudo/core';
import type { EventRecord } from './records';

/**
 * A row of `events` as both drivers return it (`SELECT *`).
 *
 * @example
 * ```ts
 * const rows = await driver.all<EventRow>('SELECT * FROM events WHERE project_id = ?', [projectId]);
 * ```
 */
export interface EventRow {
  seq: number;
  event_id: string;
  ts: number;
  agent_name: string;
  agent_id: string | null;
  role: string | null;
  session_id: string | null;
  action: string;
  scope: string | null;
  allowed: number;
  function_name: string | null;
  metadata: string | null;
  sdk: string | null;
  received_at: number;
  reason: string | null;
  approval_id: string | null;
  decided_by: string | null;
}

/**
 * The record of a stored row; columns that are null are left out, as on the wire.
 *
 * @example
 * ```ts
 * const events = rows.map(toRecord);
 * ```
 */
export function toRecord(r: EventRow): EventRecord {
  const e: EventRecord = {
    seq: Number(r.seq),
    eventId: r.event_id,
    ts: Number(r.ts),
    agentName: r.agent_name,
    action: r.action as SudoAction,
    allowed: Number(r.allowed) === 1,
    receivedAt: Number(r.received_at),
  };
  if (r.agent_id != null) e.agentId = r.agent_id;
  if (r.role != null) e.role = r.role;
  if (r.session_id != null) e.sessionId = r.session_id;
  if (r.scope != null) e.scope = r.scope;
  if (r.function_name != null) e.functionName = r.function_name;
  if (r.metadata != null) e.metadata = JSON.parse(r.metadata) as Record<string, unknown>;
  if (r.sdk != null) e.sdk = r.sdk;
  // Stored as sent: a denial without a reason stays without one here (see reasonOf).
  if (r.reason != null) e.reason = r.reason as DenialReason;
  if (r.approval_id != null) e.approvalId = r.approval_id;
  if (r.decided_by != null) e.decidedBy = r.decided_by;
  return e;
}
