import { reasonOf } from '../outcome';
import { EVENT_COLUMNS } from '../storage/event-columns';
import type { EventRecord } from '../storage/records';
import { microsToIso } from '../storage/time';

/**
 * An event as the read API returns it: the wire form (snake_case, absent keys left out)
 * plus `seq` and `received_at`. `reason` is as `reasonOf` reads it, so a denial stored
 * without one (older SDKs, the Python SDK) says `scope`, as the filter and the stats count it.
 * A key added here is added to `eventSchema` (response-schemas.ts) too, or routes drop it.
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
  const reason = reasonOf(e.action, e.allowed, e.reason);
  if (reason !== undefined) out.reason = reason;
  if (e.approvalId !== undefined) out.approval_id = e.approvalId;
  if (e.decidedBy !== undefined) out.decided_by = e.decidedBy;
  return out;
}

/**
 * Columns of the CSV export, in order: the stored columns ({@link EVENT_COLUMNS}) by their
 * wire names, without the project. Columns added later come last, so a reader that goes by
 * position keeps working.
 *
 * @example
 * ```ts
 * CSV_COLUMNS[0]; // 'event_id'
 * ```
 */
export const CSV_COLUMNS: readonly string[] = EVENT_COLUMNS.filter((c) => c !== 'project_id').map((c) =>
  c === 'ts' ? 'timestamp' : c,
);

/**
 * One CSV line (RFC 4180: a cell holding a comma, a quote or a line break is quoted, its
 * quotes doubled). No cell can be read as a formula, whatever separator the spreadsheet
 * splits on: a cell, and every part of it after a semicolon, tab, `|` or line break, that
 * starts with `=`, `+`, `-`, `@`, tab or CR (after any spaces or quotes) gets a leading `'`.
 *
 * @example
 * ```ts
 * csvLine(['a', 'b,c']); // 'a,"b,c"\r\n'
 * csvLine(['=1+1', 'x;@SUM(A1)']); // "'=1+1,x;'@SUM(A1)\r\n"
 * ```
 */
export function csvLine(cells: readonly unknown[]): string {
  return (
    cells
      .map((cell) => {
        if (cell === undefined || cell === null) return '';
        const s = neutralizeFormulas(typeof cell === 'object' ? JSON.stringify(cell) : String(cell));
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}

/**
 * Where a spreadsheet that splits on another separator than the comma may start a new cell
 * or row: it reads our quotes as plain characters when they are not at the start of its own
 * cell, so a quoted `x;=cmd` is two cells to it. Commas need nothing: a reader splitting on
 * commas honours the quotes. Metadata JSON holds these characters only inside strings, so it
 * stays valid JSON.
 */
const CELL_BREAKS = ';\t|\r\n';
/** What makes a spreadsheet read a cell as a formula (or, for tab and CR, hide the start). */
const FORMULA_STARTS = '=+-@\t\r';

/**
 * A leading `'` before each part of `s` that a spreadsheet could read as a formula: the
 * start, and every position after a character in {@link CELL_BREAKS}. One pass; a run of
 * spaces and quotes is looked across once, so the work stays linear in the length.
 */
function neutralizeFormulas(s: string): string {
  let out = '';
  let at = 0; // the next possible cell start
  while (at <= s.length) {
    let first = at;
    // Spaces may be trimmed, and a quote may open a quoted cell: look past both.
    while (first < s.length && (s[first] === ' ' || s[first] === '"')) first++;
    if (first < s.length && FORMULA_STARTS.includes(s[first])) out += "'";
    let end = first;
    while (end < s.length && !CELL_BREAKS.includes(s[end])) end++;
    out += s.slice(at, end + 1); // the break ends this part; the next begins after it
    at = end + 1;
  }
  return out;
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
