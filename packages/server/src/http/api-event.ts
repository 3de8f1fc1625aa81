import type { EventRecord } from '../storage/records';
import { microsToIso } from '../storage/time';

/**
 * An event as the read API returns it: the wire form (snake_case, absent keys left out)
 * plus `seq` and `received_at`.
 *
 * @example
 * ```ts
 * reply.send({ events: page.events.map(toApiEvent) });
 * ```
 */
export function toApiEvent(e: EventRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    seq: e.seq,
    event_id: e.eventId,
    timestamp: microsToIso(e.ts),
    agent_name: e.agentName,
  };
  if (e.agentId !== undefined) out.agent_id = e.agentId;
  if (e.role !== undefined) out.role = e.role;
  if (e.sessionId !== undefined) out.session_id = e.sessionId;
  out.action = e.action;
  if (e.scope !== undefined) out.scope = e.scope;
  out.allowed = e.allowed;
  if (e.functionName !== undefined) out.function_name = e.functionName;
  if (e.metadata !== undefined) out.metadata = e.metadata;
  if (e.sdk !== undefined) out.sdk = e.sdk;
  if (e.receivedAt !== undefined) out.received_at = microsToIso(e.receivedAt);
  return out;
}

/**
 * Columns of the CSV export, in order.
 *
 * @example
 * ```ts
 * CSV_COLUMNS[0]; // 'event_id'
 * ```
 */
export const CSV_COLUMNS = [
  'event_id',
  'timestamp',
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
] as const;

/**
 * One CSV line (RFC 4180 quoting). A cell starting with `=`, `+`, `-`, `@`, tab or CR gets
 * a leading `'` so a spreadsheet never runs an agent-supplied name as a formula.
 *
 * @example
 * ```ts
 * csvLine(['a', 'b,c']); // 'a,"b,c"\r\n'
 * ```
 */
export function csvLine(cells: readonly unknown[]): string {
  return (
    cells
      .map((cell) => {
        if (cell === undefined || cell === null) return '';
        let s = typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
        if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}

/**
 * An event as a CSV line in {@link CSV_COLUMNS} order.
 *
 * @example
 * ```ts
 * stream.write(eventCsvLine(event));
 * ```
 */
export function eventCsvLine(e: EventRecord): string {
  const api = toApiEvent(e);
  return csvLine(CSV_COLUMNS.map((c) => api[c]));
}
