import { DENIAL_REASONS, SUDO_ACTIONS, type DenialReason, type SudoAction } from '@agentsudo/core';
import type { Bucket, EventCursor, EventFilter } from '../storage/records';
import { isoToMicros, isStoredTime } from '../storage/time';
import { OUTCOMES, type Outcome } from '../outcome';
import { ApiError } from './api-error';

type Query = Record<string, unknown>;

/**
 * Most `*` wildcards one `scope` filter may hold. Matching stays linear whatever the count,
 * but a real filter needs two or three, and the listing's database match is then bounded too.
 *
 * @example
 * ```ts
 * parseFilter({ scope: 'write:*:refunds' }); // ok, one wildcard
 * ```
 */
export const MAX_SCOPE_WILDCARDS = 8;

/** Most buckets one stats answer holds; keeps every answer small. */
const MAX_BUCKETS = 5000;
const DAY_US = 86_400_000_000;

/**
 * Reads the event filter of a listing, export or live feed from the query string. Every
 * bad value is a 400 naming the parameter.
 *
 * @example
 * ```ts
 * parseFilter({ agent: 'Bot', allowed: 'false', from: '2026-01-01T00:00:00Z' });
 * ```
 */
export function parseFilter(q: Query): EventFilter {
  const f: EventFilter = {};
  const agent = str(q, 'agent');
  const scope = str(q, 'scope');
  const fn = str(q, 'function');
  const session = str(q, 'session');
  if (agent !== undefined) f.agent = agent;
  if (scope !== undefined) {
    const wildcards = scope.split('*').length - 1;
    if (wildcards > MAX_SCOPE_WILDCARDS)
      throw queryParameterError(
        'scope',
        scope,
        `it has ${wildcards} '*' wildcards, at most ${MAX_SCOPE_WILDCARDS} are allowed; a pattern like 'write:*' or 'db:*:read' needs one or two`,
      );
    f.scope = scope;
  }
  if (fn !== undefined) f.functionName = fn;
  if (session !== undefined) f.sessionId = session;
  const search = str(q, 'q');
  if (search !== undefined) f.search = search;
  const allowed = str(q, 'allowed');
  if (allowed !== undefined) {
    if (allowed !== 'true' && allowed !== 'false')
      throw queryParameterError('allowed', allowed, "use 'true' or 'false'");
    f.allowed = allowed === 'true';
  }
  const outcome = str(q, 'outcome');
  if (outcome !== undefined) {
    if (!(OUTCOMES as readonly string[]).includes(outcome))
      throw queryParameterError('outcome', outcome, `use one of ${OUTCOMES.join(', ')}`);
    f.outcome = outcome as Outcome;
  }
  const action = str(q, 'action');
  if (action !== undefined) {
    if (!(SUDO_ACTIONS as readonly string[]).includes(action))
      throw queryParameterError('action', action, `use one of ${SUDO_ACTIONS.join(', ')}`);
    f.action = action as SudoAction;
  }
  const reason = str(q, 'reason');
  if (reason !== undefined) {
    if (!(DENIAL_REASONS as readonly string[]).includes(reason))
      throw queryParameterError('reason', reason, `use one of ${DENIAL_REASONS.join(', ')}`);
    f.reason = reason as DenialReason;
  }
  const approvalId = str(q, 'approval_id');
  if (approvalId !== undefined) f.approvalId = approvalId;
  const from = time(q, 'from');
  const to = time(q, 'to');
  if (from !== undefined) f.from = from;
  if (to !== undefined) f.to = to;
  return f;
}

/**
 * `limit` (1..1000, default 100) and `cursor` (opaque, from the previous page's `next_cursor`).
 *
 * @example
 * ```ts
 * const { limit, before } = parsePage(request.query);
 * ```
 */
export function parsePage(q: Query): { limit: number; before?: EventCursor } {
  const rawLimit = str(q, 'limit');
  const limit = rawLimit === undefined ? 100 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw queryParameterError('limit', rawLimit, 'use a whole number from 1 to 1000');
  const cursor = str(q, 'cursor');
  if (cursor === undefined) return { limit };
  return { limit, before: decodeCursor(cursor) };
}

/**
 * Where a live client resumes: the `Last-Event-ID` header a reconnecting `EventSource`
 * sends, or `last_event_id` in the query for a first connection that already knows where it
 * stopped. Either is the `seq` of the last event received; none means "only new events".
 *
 * @example
 * ```ts
 * parseLastEventId(request.headers['last-event-id'], request.query); // 42 or undefined
 * ```
 */
export function parseLastEventId(header: string | string[] | undefined, q: Query): number | undefined {
  const name = header === undefined ? 'last_event_id' : 'Last-Event-ID';
  const raw = header ?? str(q, 'last_event_id');
  if (raw === undefined || raw === '') return undefined;
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (!/^\d{1,15}$/.test(value))
    throw new ApiError(
      400,
      'invalid_last_event_id',
      `${name} ${JSON.stringify(value)} is invalid: give the id (seq) of the last event received, a whole number.`,
      name,
    );
  return Number(value);
}

/**
 * Longest event id the ingest API stores (`event_id` in the wire schema); a longer one
 * names no event.
 */
const MAX_EVENT_ID = 128;

/**
 * The event id of `GET /api/projects/:project/events/:eventId`: 1..128 characters without
 * NUL, as ingest accepts them. Anything else is a 400 naming it.
 *
 * @example
 * ```ts
 * parseEventId('6f1c2b9e-3a4d-4c5e-8f70-1a2b3c4d5e6f'); // the same id
 * ```
 */
export function parseEventId(value: unknown): string {
  const hint = `copy the event_id of an event from GET /api/projects/:project/events or the export (1 to ${MAX_EVENT_ID} characters)`;
  if (typeof value !== 'string' || value === '' || value.includes('\u0000'))
    throw new ApiError(
      400,
      'invalid_event_id',
      `Event id ${JSON.stringify(value)} is invalid: ${hint}.`,
      'eventId',
    );
  if (value.length > MAX_EVENT_ID)
    throw new ApiError(
      400,
      'invalid_event_id',
      `Event id ${JSON.stringify(`${value.slice(0, 20)}…`)} is invalid: it has ${value.length} characters; ${hint}.`,
      'eventId',
    );
  return value;
}

/**
 * The opaque cursor clients pass back: `ts.seq` in base64url.
 *
 * @example
 * ```ts
 * encodeCursor({ ts: 1, seq: 2 }); // 'MS4y'
 * ```
 */
export function encodeCursor(c: EventCursor): string {
  return Buffer.from(`${c.ts}.${c.seq}`).toString('base64url');
}

function decodeCursor(cursor: string): EventCursor {
  const m = /^(\d{1,17})\.(\d{1,17})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m)
    throw queryParameterError('cursor', cursor, 'pass back the next_cursor of a previous page unchanged');
  return { ts: Number(m[1]), seq: Number(m[2]) };
}

/**
 * The stats range: `from`/`to` (ISO 8601, default the last 24 hours) and `bucket`
 * (`minute` | `hour` | `day`, default by range length: minute up to 2 hours, hour up to
 * 7 days, day beyond).
 *
 * @example
 * ```ts
 * parseStatsRange({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }); // bucket 'hour'
 * ```
 */
export function parseStatsRange(
  q: Query,
  now = Date.now() * 1000,
): { from: number; to: number; bucket: Bucket } {
  const to = time(q, 'to') ?? now;
  const from = time(q, 'from') ?? to - DAY_US;
  if (from >= to) throw queryParameterError('from', str(q, 'from'), "must be before 'to'");
  const span = to - from;
  const requested = str(q, 'bucket');
  if (requested !== undefined && !['minute', 'hour', 'day'].includes(requested)) {
    throw queryParameterError('bucket', requested, "use 'minute', 'hour' or 'day'");
  }
  const bucket =
    (requested as Bucket | undefined) ??
    (span <= DAY_US / 12 ? 'minute' : span <= 7 * DAY_US ? 'hour' : 'day');
  const size = bucket === 'minute' ? 60_000_000 : bucket === 'hour' ? DAY_US / 24 : DAY_US;
  if (span / size > MAX_BUCKETS) {
    throw queryParameterError(
      'bucket',
      bucket,
      `the range would need ${Math.ceil(span / size)} buckets (at most ${MAX_BUCKETS}); use a coarser bucket or a shorter range`,
    );
  }
  return { from, to, bucket };
}

function str(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw queryParameterError(name, v, 'give the parameter once');
  if (v.length > 512) throw queryParameterError(name, `${v.slice(0, 20)}…`, 'at most 512 characters');
  // No stored text holds NUL (PostgreSQL cannot), so no filter needs it.
  if (v.includes('\u0000')) throw queryParameterError(name, v, 'remove the NUL character (%00)');
  return v;
}

function time(q: Query, name: string): number | undefined {
  const v = str(q, name);
  if (v === undefined) return undefined;
  // A date-time without a zone means UTC, as in the wire format; a date alone is its midnight UTC.
  const us = isoToMicros(v);
  if (!isStoredTime(us))
    throw queryParameterError(
      name,
      v,
      'use an RFC 3339 time from 1970 to 9999 (UTC, after its offset) such as 2026-01-01T12:00:00Z (no zone means UTC) or a date such as 2026-01-01 (midnight UTC)',
    );
  return us;
}

/**
 * The 400 of a query parameter whose value is wrong: `Query parameter limit="5000" is
 * invalid: use a whole number from 1 to 1000.`, with the parameter as `field`.
 *
 * @example
 * ```ts
 * throw queryParameterError('format', 'xml', "use 'csv' or 'jsonl'");
 * ```
 */
export function queryParameterError(name: string, value: unknown, hint: string): ApiError {
  return new ApiError(
    400,
    'invalid_query',
    `Query parameter ${name}=${JSON.stringify(value)} is invalid: ${hint}.`,
    name,
  );
}
