import {
  DENIAL_REASONS,
  MAX_APPROVAL_FIELD_LENGTH,
  PYTHON_ACTIONS,
  SUDO_ACTIONS,
  WireFormatError,
  fromWire,
} from '@agentsudo/core';
import type { EventRecord } from '../storage/records';
import { HOUR_US, isoToMicros, isStoredTime, microsToIso } from '../storage/time';
import { ApiError } from './api-error';

/**
 * Most events one `POST /api/events` may carry; SDKs send far smaller batches.
 *
 * @example
 * ```ts
 * if (events.length > MAX_BATCH_EVENTS) split(events);
 * ```
 */
export const MAX_BATCH_EVENTS = 1000;

/**
 * Largest request body, compressed or not (after gunzip too): 1 MiB.
 *
 * @example
 * ```ts
 * MAX_BODY_BYTES; // 1048576
 * ```
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * How far ahead of the server's clock an event may be dated (µs): 24 hours, room for any
 * time zone mistake and a clock some hours off. Later events are refused: on PostgreSQL they
 * would land in the default partition, and moving them out when their day's partition is made
 * holds every writer back under the table lock (storage/partitions.ts). Past dates stay
 * accepted, because SDKs spool events and send them late.
 *
 * @example
 * ```ts
 * if (ts > nowUs + MAX_EVENT_AHEAD_US) refuse();
 * ```
 */
export const MAX_EVENT_AHEAD_US = 24 * HOUR_US;

/** Largest `metadata` object, serialised. */
const MAX_METADATA_BYTES = 16 * 1024;

/**
 * Most UTF-8 bytes of the text fields that key the rollups, beside their length in characters
 * (which the schema checks): three bytes a character, so any text of the Basic Multilingual
 * Plane at the character limit fits, but 256 emoji do not. PostgreSQL refuses an index entry
 * over 2,704 bytes, and `agent_scopes` is keyed by project, agent name and scope together:
 * at these bounds the three stay under it, so a stored event's rollups are always stored too.
 *
 * @example
 * ```ts
 * Buffer.byteLength(scope) <= MAX_KEY_BYTES.scope;
 * ```
 */
export const MAX_KEY_BYTES = { agent_name: 768, scope: 1536 } as const;

/**
 * Deepest nesting of objects and arrays in `metadata` (the object itself is level 1). Static
 * facts about an agent need two or three levels; a 10 KB body nested thousands deep would
 * otherwise overflow the stack of everything that walks it (serialising, storing, answering).
 *
 * @example
 * ```ts
 * // { "team": { "region": "eu" } } is 2 levels deep
 * MAX_METADATA_DEPTH; // 32
 * ```
 */
export const MAX_METADATA_DEPTH = 32;

/** Longer than any of core's DENIAL_REASONS, so a longer one is refused before it is read. */
const MAX_REASON_LENGTH = Math.max(...DENIAL_REASONS.map((r) => r.length)) + 1;

/** PostgreSQL text cannot hold NUL, so no field may (metadata is stored escaped, so it may). */
const text = (maxLength: number, nullable = true) => ({
  type: nullable ? ['string', 'null'] : 'string',
  minLength: 1,
  maxLength,
  pattern: '^[^\\u0000]*$',
});

/**
 * JSON schema of one event on the wire: this SDK's events and the original Python SDK's
 * (whose action names are accepted and mapped). Unknown extra keys are ignored.
 *
 * @example
 * ```ts
 * app.post('/api/events', { schema: { body: { type: 'array', items: WIRE_EVENT_SCHEMA } } }, handler);
 * ```
 */
export const WIRE_EVENT_SCHEMA = {
  type: 'object',
  required: ['timestamp', 'agent_name', 'action', 'allowed'],
  properties: {
    event_id: text(128),
    timestamp: { type: 'string', minLength: 1, maxLength: 64 },
    agent_id: text(256),
    agent_name: text(256, false),
    role: text(256),
    session_id: text(256),
    action: { type: 'string', enum: [...SUDO_ACTIONS, ...Object.keys(PYTHON_ACTIONS)] },
    scope: text(512),
    allowed: { type: 'boolean' },
    function_name: text(512),
    metadata: { type: ['object', 'null'] },
    sdk: text(128),
    // Only bounded here: fromWire names a reason outside DENIAL_REASONS and lists them.
    reason: { type: ['string', 'null'], maxLength: MAX_REASON_LENGTH },
    approval_id: text(MAX_APPROVAL_FIELD_LENGTH),
    decided_by: text(MAX_APPROVAL_FIELD_LENGTH),
  },
} as const;

/**
 * Turns a validated wire event into a record, through core's `fromWire` (which maps the
 * Python SDK's actions and assigns missing event ids). Throws {@link ApiError} naming the
 * field, e.g. `events[3].timestamp`, also for an event dated more than
 * {@link MAX_EVENT_AHEAD_US} after `nowUs`, the server's time in microseconds.
 *
 * @example
 * ```ts
 * const nowUs = Date.now() * 1000;
 * const records = body.map((e, i) => wireToRecord(e, i, nowUs));
 * ```
 */
export function wireToRecord(input: unknown, index: number, nowUs: number): EventRecord {
  const field = (name: string) => `events[${index}].${name}`;
  let event;
  try {
    event = fromWire(input);
  } catch (err) {
    if (err instanceof WireFormatError)
      throw new ApiError(400, 'invalid_event', `${field(err.field)}: ${err.message}`, field(err.field));
    throw err;
  }
  const raw = (input as { timestamp: string }).timestamp;
  const ts = isoToMicros(raw);
  if (!isStoredTime(ts)) {
    throw new ApiError(
      400,
      'invalid_event',
      `${field('timestamp')}: ${JSON.stringify(raw)} is outside 1970..9999`,
      field('timestamp'),
    );
  }
  if (ts > nowUs + MAX_EVENT_AHEAD_US) {
    throw new ApiError(
      400,
      'invalid_event',
      `${field('timestamp')}: ${JSON.stringify(raw)} is more than ${MAX_EVENT_AHEAD_US / HOUR_US} hours ahead ` +
        `of the server's time (${microsToIso(nowUs)}); check the clock of the machine that sent it`,
      field('timestamp'),
    );
  }
  for (const [name, value] of [
    ['agent_name', event.agentName],
    ['scope', event.scope],
  ] as const) {
    const bytes = value === undefined ? 0 : Buffer.byteLength(value);
    if (bytes > MAX_KEY_BYTES[name])
      throw new ApiError(
        400,
        'invalid_event',
        `${field(name)}: ${bytes} bytes in UTF-8, over the ${MAX_KEY_BYTES[name]} it may take ` +
          `(${MAX_KEY_BYTES[name] / 3} characters of any plain text fit; emoji and other characters ` +
          'outside the Basic Multilingual Plane take four bytes each); shorten it',
        field(name),
      );
  }
  if (event.metadata && deeperThan(event.metadata, MAX_METADATA_DEPTH)) {
    throw new ApiError(
      400,
      'invalid_event',
      `${field('metadata')}: nested more than ${MAX_METADATA_DEPTH} levels deep; keep metadata to small static facts about the agent, a few levels at most`,
      field('metadata'),
    );
  }
  if (event.metadata && Buffer.byteLength(JSON.stringify(event.metadata)) > MAX_METADATA_BYTES) {
    throw new ApiError(
      400,
      'invalid_event',
      `${field('metadata')}: over ${MAX_METADATA_BYTES} bytes; keep metadata to small static facts about the agent`,
      field('metadata'),
    );
  }
  const record: EventRecord = {
    eventId: event.eventId,
    ts,
    agentName: event.agentName,
    action: event.action,
    allowed: event.allowed,
  };
  if (event.agentId !== undefined) record.agentId = event.agentId;
  if (event.role !== undefined) record.role = event.role;
  if (event.sessionId !== undefined) record.sessionId = event.sessionId;
  if (event.scope !== undefined) record.scope = event.scope;
  if (event.functionName !== undefined) record.functionName = event.functionName;
  if (event.metadata !== undefined) record.metadata = event.metadata;
  if (event.sdk !== undefined) record.sdk = event.sdk;
  if (event.reason !== undefined) record.reason = event.reason;
  if (event.approvalId !== undefined) record.approvalId = event.approvalId;
  if (event.decidedBy !== undefined) record.decidedBy = event.decidedBy;
  return record;
}

/**
 * Whether objects and arrays inside `value` nest more than `max` levels. Walks with its own
 * stack, not by recursion, so no depth can overflow it, and stops at the first level too deep.
 */
function deeperThan(value: object, max: number): boolean {
  const pending: Array<[object, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > max) return true;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child as object, depth + 1]);
    }
  }
  return false;
}
