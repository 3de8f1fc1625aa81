import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import {
  compileScopes,
  ConfigurationError,
  fromWire,
  parseIsoTime,
  type SudoAction,
  type SudoEvent,
} from '@agentsudo/core';
import { AuditLogFormatError, AuditLogPathError } from './errors';
import { rotatedFiles } from './rotation';

/**
 * Which events to keep when reading a log. Every field narrows; none given keeps all.
 *
 * @example
 * ```ts
 * const filter: AuditLogFilter = { agent: 'SupportBot', scope: 'write:*', denied: true, since: '2026-01-01' };
 * ```
 */
export interface AuditLogFilter {
  /** Exact agent name. */
  agent?: string;
  /** Scope pattern, `*` a wildcard as in agent scopes (`write:*`). */
  scope?: string;
  /** true: only refusals (denials, audit violations, refused approvals, expiries). */
  denied?: boolean;
  /** Only events at or after this time (a Date or an ISO 8601 string). */
  since?: Date | string;
  /** Only events before this time. */
  until?: Date | string;
  /** Only this action. */
  action?: SudoAction;
}

/**
 * How to read a log: a filter, plus what to do with the rotated files and bad lines.
 *
 * @example
 * ```ts
 * await readAuditLog('audit.jsonl', { denied: true, includeRotated: true, onInvalidLine: () => {} });
 * ```
 */
export interface ReadAuditLogOptions extends AuditLogFilter {
  /** Also read `file.N` … `file.1` (oldest first) before `file`. Default false. */
  includeRotated?: boolean;
  /** Called for a line that is not an event; default: throw {@link AuditLogFormatError}. */
  onInvalidLine?: (error: AuditLogFormatError) => void;
}

/**
 * Reads a JSON Lines audit log back into events, in file order. Lines written by the
 * original Python SDK are read too (their action names are mapped).
 *
 * @example
 * ```ts
 * const denials = await readAuditLog('logs/agentsudo.jsonl', { denied: true, agent: 'SupportBot' });
 * for (const e of denials) console.log(e.timestamp, e.scope, e.functionName);
 * ```
 * @throws AuditLogPathError when the file cannot be read; AuditLogFormatError for a bad line.
 */
export async function readAuditLog(file: string, options: ReadAuditLogOptions = {}): Promise<SudoEvent[]> {
  const keep = compileFilter(options);
  const path = resolve(file);
  const files = options.includeRotated ? [...rotatedFiles(path), path] : [path];
  const events: SudoEvent[] = [];
  for (const f of files) {
    await readOne(
      f,
      (event) => {
        if (keep(event)) events.push(event);
      },
      options.onInvalidLine,
    );
  }
  return events;
}

/**
 * Turns a filter into a predicate; bad values fail here, naming the field.
 *
 * @example
 * ```ts
 * const keep = compileFilter({ scope: 'write:*' });
 * events.filter(keep);
 * ```
 */
export function compileFilter(filter: AuditLogFilter): (event: SudoEvent) => boolean {
  const since = toTime(filter.since, 'since');
  const until = toTime(filter.until, 'until');
  const scope = filter.scope !== undefined ? compileScopes([filter.scope]) : undefined;
  const { agent, denied, action } = filter;
  return (e) =>
    (agent === undefined || e.agentName === agent) &&
    (scope === undefined || (e.scope !== undefined && scope.test(e.scope))) &&
    (denied === undefined || e.allowed === !denied) &&
    (action === undefined || e.action === action) &&
    (since === undefined || parseIsoTime(e.timestamp) >= since) &&
    (until === undefined || parseIsoTime(e.timestamp) < until);
}

async function readOne(
  file: string,
  onEvent: (event: SudoEvent) => void,
  onInvalidLine: ((error: AuditLogFormatError) => void) | undefined,
): Promise<void> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((ok, fail) => {
    stream.once('open', () => ok());
    stream.once('error', (err) => fail(AuditLogPathError.from(file, err, 'read')));
  });
  await opened;
  // Required here, not imported: most programs import this package to write a log, never to read one.
  const { createInterface } = require('node:readline') as typeof import('node:readline');
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let event: SudoEvent;
      try {
        event = fromWire(JSON.parse(line));
      } catch (err) {
        const bad = new AuditLogFormatError(file, n, err instanceof Error ? err.message : String(err));
        if (!onInvalidLine) throw bad;
        onInvalidLine(bad);
        continue;
      }
      onEvent(event);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

function toTime(value: Date | string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  // A time without a zone is UTC, like the log's own timestamps and the printed table; a
  // date alone is its midnight UTC.
  const t = value instanceof Date ? value.getTime() : parseIsoTime(value, { dateOnly: true });
  if (Number.isNaN(t)) {
    throw new ConfigurationError(
      `Audit log filter '${field}': ${JSON.stringify(value)} is not a time; use an RFC 3339 time such as 2026-01-31T12:00:00Z (no zone means UTC) or a date such as 2026-01-31 (midnight UTC).`,
    );
  }
  return t;
}
