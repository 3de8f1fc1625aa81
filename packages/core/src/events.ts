import { randomFillSync } from 'node:crypto';
import { ConfigurationError } from './errors';
import { DENIAL_REASONS, type DenialReason } from './guard';
import { SDK_NAME } from './version';

/**
 * What happened. `permission_check` carries `allowed: true | false`; the others are
 * audit-mode violations, the steps of an approval (asked for, granted, denied, expired)
 * and session lifecycle.
 *
 * @example
 * ```ts
 * const denialsOnly = (action: SudoAction, allowed: boolean) => action === 'permission_check' && !allowed;
 * ```
 */
export type SudoAction =
  | 'permission_check'
  | 'audit_violation'
  | 'approval_granted'
  | 'approval_denied'
  | 'session_start'
  | 'session_end'
  | 'session_expired'
  | 'approval_requested'
  | 'approval_expired';

/**
 * Every action, in a fixed order (transports and the server use it for lookups).
 *
 * @example
 * ```ts
 * SUDO_ACTIONS.includes('audit_violation'); // true
 * ```
 */
export const SUDO_ACTIONS: readonly SudoAction[] = Object.freeze([
  'permission_check',
  'audit_violation',
  'approval_granted',
  'approval_denied',
  'session_start',
  'session_end',
  'session_expired',
  'approval_requested',
  'approval_expired',
]);

/**
 * The one shape that core, transports and the server share. It never holds the
 * arguments, return value or errors of the user's function: only who, what and when.
 *
 * @example
 * ```ts
 * transport.log({ eventId, timestamp, agentName: 'SupportBot', action: 'permission_check',
 *   scope: 'read:customers', allowed: true, functionName: 'CustomerService.getCustomer' });
 * ```
 */
export interface SudoEvent {
  /** A UUID v7 ({@link newEventId}); lets delivery be idempotent. */
  eventId: string;
  /** ISO 8601 UTC. */
  timestamp: string;
  agentId?: string;
  agentName: string;
  role?: string;
  sessionId?: string;
  action: SudoAction;
  /** The scope checked; absent on session events. */
  scope?: string;
  allowed: boolean;
  /** `ClassName.method` for methods, the function's name otherwise. */
  functionName?: string;
  /** The agent's static metadata, never call data. */
  metadata?: Record<string, unknown>;
  /** Which SDK produced the event, e.g. `agentsudo-js/0.1.0`. */
  sdk?: string;
  /**
   * Why the call was refused, on denials. Absent on allowed checks; older SDKs and the
   * Python SDK send none, and readers take a denial without one as `scope`.
   */
  reason?: DenialReason;
  /** The approval this event is a step of, on `approval_*` events. */
  approvalId?: string;
  /** Who decided the approval (a user's email, a Slack user), on `approval_granted` / `approval_denied`. */
  decidedBy?: string;
}

/**
 * The JSON wire form (snake_case) sent to `POST /api/events`: the original Python SDK's
 * fields plus `event_id`, `agent_id`, `session_id`, `role`, `sdk`, `reason`, `approval_id`
 * and `decided_by`. Null keys are left out.
 *
 * @example
 * ```ts
 * const wire: WireEvent = { timestamp: '2026-01-01T00:00:00.000Z', agent_name: 'SupportBot',
 *   action: 'permission_check', scope: 'read:customers', allowed: true };
 * ```
 */
export interface WireEvent {
  event_id?: string;
  timestamp: string;
  agent_id?: string;
  agent_name: string;
  role?: string;
  session_id?: string;
  action: string;
  scope?: string;
  allowed: boolean;
  function_name?: string;
  metadata?: Record<string, unknown>;
  sdk?: string;
  /** One of {@link DENIAL_REASONS}. */
  reason?: DenialReason;
  approval_id?: string;
  decided_by?: string;
}

/**
 * The Python SDK's action names, mapped onto ours. `permission_denied` is a failed
 * `permission_check`; the `callback_*` names are approver outcomes.
 *
 * @example
 * ```ts
 * PYTHON_ACTIONS.callback_approved; // { action: 'approval_granted', allowed: true }
 * ```
 */
export const PYTHON_ACTIONS: Readonly<Record<string, { action: SudoAction; allowed: boolean }>> =
  Object.freeze({
    permission_denied: { action: 'permission_check', allowed: false },
    callback_approved: { action: 'approval_granted', allowed: true },
    callback_denied: { action: 'approval_denied', allowed: false },
  });

/**
 * Longest `approval_id` and `decided_by` on the wire, in characters. An approval id is a
 * short random token and a decider an email or a chat user id; anything longer is not one.
 *
 * @example
 * ```ts
 * MAX_APPROVAL_FIELD_LENGTH; // 256
 * ```
 */
export const MAX_APPROVAL_FIELD_LENGTH = 256;

/**
 * Raised by {@link fromWire} for input that is not a wire event; `field` names the culprit.
 *
 * @example
 * ```ts
 * try { fromWire({}); } catch (e) { if (e instanceof WireFormatError) console.log(e.field); }
 * ```
 */
export class WireFormatError extends ConfigurationError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid event field '${field}': ${reason}`);
    this.name = 'WireFormatError';
  }
}

/**
 * Converts an event to its wire form, leaving out absent keys.
 *
 * @example
 * ```ts
 * JSON.stringify(toWire(event)); // {"event_id":"…","timestamp":"…","agent_name":"SupportBot",…}
 * ```
 */
export function toWire(event: SudoEvent): WireEvent {
  const wire: WireEvent = {
    event_id: event.eventId,
    timestamp: event.timestamp,
    agent_name: event.agentName,
    action: event.action,
    allowed: event.allowed,
  };
  if (event.agentId != null) wire.agent_id = event.agentId;
  if (event.role != null) wire.role = event.role;
  if (event.sessionId != null) wire.session_id = event.sessionId;
  if (event.scope != null) wire.scope = event.scope;
  if (event.functionName != null) wire.function_name = event.functionName;
  if (event.metadata != null) wire.metadata = event.metadata;
  if (event.sdk != null) wire.sdk = event.sdk;
  // Set only on denials and approval steps, so an allowed check pays three comparisons.
  if (event.reason != null) wire.reason = event.reason;
  if (event.approvalId != null) wire.approval_id = event.approvalId;
  if (event.decidedBy != null) wire.decided_by = event.decidedBy;
  return wire;
}

/**
 * Parses a wire event from this SDK or the original Python SDK. Python action names
 * are mapped (`permission_denied` → a denied `permission_check`), a missing `event_id`
 * gets a fresh one ({@link newEventId}), and a timestamp without a zone is read as UTC.
 *
 * @example
 * ```ts
 * const event = fromWire(JSON.parse(line));
 * ```
 * @throws WireFormatError naming the first bad field.
 */
export function fromWire(input: unknown): SudoEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new WireFormatError('(event)', 'expected a JSON object');
  }
  const w = input as Record<string, unknown>;
  const agentName = requireString(w, 'agent_name');
  const rawAction = requireString(w, 'action');
  if (typeof w.allowed !== 'boolean') throw new WireFormatError('allowed', 'expected true or false');
  const mapped = PYTHON_ACTIONS[rawAction];
  if (!mapped && !(SUDO_ACTIONS as readonly string[]).includes(rawAction)) {
    throw new WireFormatError('action', `unknown action ${JSON.stringify(rawAction)}`);
  }
  const event: SudoEvent = {
    eventId: optionalString(w, 'event_id') ?? newEventId(),
    timestamp: normalizeTimestamp(w.timestamp),
    agentName,
    action: mapped ? mapped.action : (rawAction as SudoAction),
    allowed: mapped ? mapped.allowed : w.allowed,
  };
  const agentId = optionalString(w, 'agent_id');
  const role = optionalString(w, 'role');
  const sessionId = optionalString(w, 'session_id');
  const scope = optionalString(w, 'scope');
  const functionName = optionalString(w, 'function_name');
  const sdk = optionalString(w, 'sdk');
  if (agentId !== undefined) event.agentId = agentId;
  if (role !== undefined) event.role = role;
  if (sessionId !== undefined) event.sessionId = sessionId;
  if (scope !== undefined) event.scope = scope;
  if (functionName !== undefined) event.functionName = functionName;
  if (sdk !== undefined) event.sdk = sdk;
  if (w.reason != null) event.reason = denialReason(w.reason);
  const approvalId = boundedString(w, 'approval_id');
  const decidedBy = boundedString(w, 'decided_by');
  if (approvalId !== undefined) event.approvalId = approvalId;
  if (decidedBy !== undefined) event.decidedBy = decidedBy;
  if (w.metadata != null) {
    if (typeof w.metadata !== 'object' || Array.isArray(w.metadata)) {
      throw new WireFormatError('metadata', 'expected a JSON object');
    }
    event.metadata = w.metadata as Record<string, unknown>;
  }
  return event;
}

/**
 * Builds an event stamped now, with a fresh id and the SDK name. Every event has the
 * same property order (one object shape), which keeps transports' code fast.
 *
 * @example
 * ```ts
 * const e = createEvent({ agentName: 'Bot', action: 'session_start', allowed: true });
 * ```
 */
export function createEvent(fields: Omit<SudoEvent, 'eventId' | 'timestamp' | 'sdk'>): SudoEvent {
  const now = Date.now();
  return {
    eventId: newEventId(now),
    timestamp: isoAt(now),
    agentId: fields.agentId,
    agentName: fields.agentName,
    role: fields.role,
    sessionId: fields.sessionId,
    action: fields.action,
    scope: fields.scope,
    allowed: fields.allowed,
    functionName: fields.functionName,
    metadata: fields.metadata,
    sdk: SDK_NAME,
  };
}

/**
 * A fresh event id: a UUID version 7 (RFC 9562), whose first 48 bits are the time in
 * milliseconds and the rest random. Ids made later sort later, so a store indexing them
 * appends instead of writing all over its index, and a retried event keeps its id.
 *
 * @example
 * ```ts
 * newEventId(); // '019ac1d2-3b4c-7e5f-9a0b-1c2d3e4f5a6b'
 * ```
 */
export function newEventId(now: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool;
  const o = poolOffset;
  poolOffset += 10;
  const t = timeDigits(now);
  const variant = (b[o + 2] & 0x3f) | 0x80;
  // 48 bits of time, version 7, 12 random bits, variant 10, 62 random bits. Built as ONE
  // flat string: a string glued from many pieces is a tree of small objects, and events
  // held in a queue would make the garbage collector copy every piece.
  // prettier-ignore
  return String.fromCharCode(
    t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], DASH, t[8], t[9], t[10], t[11], DASH,
    SEVEN, HEX[b[o] & 15], HEX[b[o + 1] >> 4], HEX[b[o + 1] & 15], DASH,
    HEX[variant >> 4], HEX[variant & 15], HEX[b[o + 3] >> 4], HEX[b[o + 3] & 15], DASH,
    HEX[b[o + 4] >> 4], HEX[b[o + 4] & 15], HEX[b[o + 5] >> 4], HEX[b[o + 5] & 15],
    HEX[b[o + 6] >> 4], HEX[b[o + 6] & 15], HEX[b[o + 7] >> 4], HEX[b[o + 7] & 15],
    HEX[b[o + 8] >> 4], HEX[b[o + 8] & 15], HEX[b[o + 9] >> 4], HEX[b[o + 9] & 15],
  );
}

/** Character codes of the hex digits, of '-' and of the version digit '7'. */
const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = 0x2d;
const SEVEN = 0x37;
/** Random bytes drawn in bulk: one system call serves hundreds of ids. */
const pool = new Uint8Array(10 * 512);
let poolOffset = pool.length;
let digitsMs = -1;
const digits: number[] = new Array<number>(12).fill(0x30);

/** The 12 hex digits of a v7 uuid's 48-bit millisecond time, worked out once per millisecond. */
function timeDigits(now: number): number[] {
  if (now !== digitsMs) {
    const hex = now.toString(16).padStart(12, '0');
    for (let i = 0; i < 12; i++) digits[i] = hex.charCodeAt(i);
    digitsMs = now;
  }
  return digits;
}

let isoMs = -1;
let iso = '';

/** The time in ISO 8601, formatted at most once per millisecond. */
function isoAt(now: number): string {
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

function requireString(w: Record<string, unknown>, field: string): string {
  const v = w[field];
  if (typeof v !== 'string' || v === '') throw new WireFormatError(field, 'expected a non-empty string');
  return v;
}

function optionalString(w: Record<string, unknown>, field: string): string | undefined {
  const v = w[field];
  if (v == null) return undefined;
  if (typeof v !== 'string') throw new WireFormatError(field, `expected a string, got ${typeof v}`);
  return v;
}

/** A wire `reason`: exactly one of {@link DENIAL_REASONS}, nothing else. */
function denialReason(value: unknown): DenialReason {
  if (typeof value !== 'string' || !(DENIAL_REASONS as readonly string[]).includes(value)) {
    throw new WireFormatError(
      'reason',
      `${JSON.stringify(value)} is not a denial reason; send one of ${DENIAL_REASONS.join(', ')}, or leave it out`,
    );
  }
  return value as DenialReason;
}

/** An optional non-empty string of at most {@link MAX_APPROVAL_FIELD_LENGTH} characters. */
function boundedString(w: Record<string, unknown>, field: string): string | undefined {
  const v = optionalString(w, field);
  if (v === undefined) return undefined;
  if (v === '' || v.length > MAX_APPROVAL_FIELD_LENGTH) {
    throw new WireFormatError(
      field,
      `expected 1 to ${MAX_APPROVAL_FIELD_LENGTH} characters, got ${v.length}; leave it out when there is none`,
    );
  }
  return v;
}

function normalizeTimestamp(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new WireFormatError('timestamp', `expected an RFC 3339 time such as ${GOOD_TIME}`);
  }
  const ms = parseIsoTime(value);
  if (Number.isNaN(ms)) {
    throw new WireFormatError(
      'timestamp',
      `${JSON.stringify(value)} is not an RFC 3339 time of years 0000..9999 (UTC, after its offset); send one like ${GOOD_TIME} (without a zone it is UTC)`,
    );
  }
  return new Date(ms).toISOString();
}

const GOOD_TIME = '2026-01-01T12:00:00.000Z';

/**
 * `YYYY-MM-DD`, then optionally `THH:MM[:SS[.fraction]]` and `Z` or `±HH:MM`. Nothing else:
 * no space for the `T`, no month names, nothing before or after.
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/**
 * Milliseconds since the epoch of an RFC 3339 / ISO 8601 date-time, or NaN for anything else.
 * The fraction is optional (any precision up to nanoseconds; the Python SDK sends
 * microseconds), the zone is `Z` or an offset, and a time without a zone is UTC, as in the
 * wire format, never the machine's zone. A date alone (`2026-01-01`, midnight UTC) is only
 * read when `dateOnly` is set, for range bounds a person types. Dates that do not exist
 * (`2026-02-30`, `25:00`) are NaN, not rolled over into the next month or day, and so are
 * times outside years 0000..9999 once the offset is applied (`9999-12-31T23:30:00-01:00`).
 *
 * @example
 * ```ts
 * parseIsoTime('2026-01-01T12:00:00'); // same as '2026-01-01T12:00:00Z'
 * parseIsoTime('2026-01-01', { dateOnly: true }); // midnight UTC
 * parseIsoTime('2026-01-01 12:00:00'); // NaN
 * ```
 */
export function parseIsoTime(value: string, options: { dateOnly?: boolean } = {}): number {
  const m = ISO_TIME.exec(value);
  if (!m) return NaN;
  const [, year, month, day, hour, minute, second = '0', fraction = '', zone] = m;
  if (hour === undefined && !options.dateOnly) return NaN;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour ?? 0);
  const mi = Number(minute ?? 0);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return NaN;
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return NaN;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const ms = t.getTime() - offsetMinutes * 60_000;
  // An offset can carry a valid text past 9999 or before 0000, where toISOString writes a
  // six-digit year ('+010000-…') that no parser here reads back.
  return ms >= FIRST_MS && ms <= LAST_MS ? ms : NaN;
}

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the four-digit years. */
const FIRST_MS = new Date(0).setUTCFullYear(0, 0, 1);
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return leap ? 29 : 28;
}
