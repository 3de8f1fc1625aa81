import type { ApprovalBinding, ApprovalDecision, NewApproval } from '../storage/approvals-records';
import { ApiError } from './api-error';

/*
 * The approval routes' bodies and query strings, checked field by field: every bad value
 * is a 400 naming the field, what was wrong and what to send.
 */

/** Longest `description` and `reason`: a sentence for a person, not a payload. */
const MAX_TEXT = 500;
/** Longest agent name, id, session id and request key, as ingest bounds them. */
const MAX_NAME = 256;
/** Longest scope and function name, as ingest bounds them. */
const MAX_SCOPE = 512;
const DIGEST = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Bounds of `timeout_ms` when asking (ms): at least a second, at most a day.
 *
 * @example
 * ```ts
 * APPROVAL_TIMEOUT_MS.default; // 300_000
 * ```
 */
export const APPROVAL_TIMEOUT_MS = Object.freeze({ min: 1000, max: 86_400_000, default: 300_000 });

/**
 * Bounds of the wait endpoint's `timeout_ms` (ms): a long-poll answers by then at the latest.
 *
 * @example
 * ```ts
 * WAIT_TIMEOUT_MS.max; // 30_000
 * ```
 */
export const WAIT_TIMEOUT_MS = Object.freeze({ min: 0, max: 30_000, default: 25_000 });

type Body = Record<string, unknown>;

function bad(field: string, value: unknown, hint: string): ApiError {
  const shown = typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return new ApiError(
    400,
    'invalid_body',
    `${field} ${JSON.stringify(shown) ?? 'undefined'} is invalid: ${hint}.`,
    field,
  );
}

/** The body as an object, or a 400 saying it must be one. */
export function bodyObject(body: unknown): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'invalid_body', 'The body must be a JSON object.', 'body');
  return body as Body;
}

function text(b: Body, field: string, max: number, required: true): string;
function text(b: Body, field: string, max: number, required?: false): string | undefined;
function text(b: Body, field: string, max: number, required = false): string | undefined {
  const v = b[field];
  if (v === undefined || v === null) {
    if (required) throw bad(field, v, `it is required, a string of 1 to ${max} characters`);
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw bad(
      field,
      v,
      `give a string of 1 to ${max} characters${typeof v === 'string' && v.length > max ? ` (it has ${v.length})` : ''}`,
    );
  // PostgreSQL text cannot hold NUL.
  if (v.includes('\u0000')) throw bad(field, v, 'remove the NUL character');
  return v;
}

function integer(b: Body, field: string, min: number, max: number): number | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(field, v, `give a whole number from ${min} to ${max}`);
  return v;
}

function digest(b: Body, field: string): string {
  const v = b[field];
  if (typeof v !== 'string' || !DIGEST.test(v))
    throw bad(field, v, 'give the argument digest as 64 lowercase hex characters (HMAC-SHA256)');
  return v;
}

/**
 * The body of `POST /api/approvals`.
 *
 * @example
 * ```ts
 * const asked = parseNewApproval(request.body); // source 'sdk'
 * ```
 */
export function parseNewApproval(body: unknown): NewApproval {
  const b = bodyObject(body);
  const requestKey = text(b, 'request_key', MAX_NAME);
  if (requestKey !== undefined && !UUID.test(requestKey))
    throw bad('request_key', requestKey, 'give a uuid, new for each request and the same when retrying it');
  const asked: NewApproval = {
    source: 'sdk',
    agentName: text(b, 'agent_name', MAX_NAME, true),
    scope: text(b, 'scope', MAX_SCOPE, true),
    functionName: text(b, 'function_name', MAX_SCOPE, true),
    argsDigest: digest(b, 'args_digest'),
    timeoutMs:
      integer(b, 'timeout_ms', APPROVAL_TIMEOUT_MS.min, APPROVAL_TIMEOUT_MS.max) ??
      APPROVAL_TIMEOUT_MS.default,
  };
  const agentId = text(b, 'agent_id', MAX_NAME);
  const sessionId = text(b, 'session_id', MAX_NAME);
  const description = text(b, 'description', MAX_TEXT);
  if (agentId !== undefined) asked.agentId = agentId;
  if (sessionId !== undefined) asked.sessionId = sessionId;
  if (description !== undefined) asked.description = description;
  if (requestKey !== undefined) asked.requestKey = requestKey.toLowerCase();
  return asked;
}

/**
 * The body of `POST /api/approvals/:id/consume`: the call that wants to use the approval.
 *
 * @example
 * ```ts
 * const call = parseBinding(request.body);
 * ```
 */
export function parseBinding(body: unknown): ApprovalBinding {
  const b = bodyObject(body);
  const call: ApprovalBinding = {
    agentName: text(b, 'agent_name', MAX_NAME, true),
    scope: text(b, 'scope', MAX_SCOPE, true),
    functionName: text(b, 'function_name', MAX_SCOPE, true),
    argsDigest: digest(b, 'args_digest'),
  };
  const agentId = text(b, 'agent_id', MAX_NAME);
  if (agentId !== undefined) call.agentId = agentId;
  return call;
}

/**
 * The body of `POST /api/projects/:project/approvals/:id/decision`, with who decides.
 *
 * @example
 * ```ts
 * const decision = parseDecision(request.body, user.email);
 * ```
 */
export function parseDecision(body: unknown, decidedBy: string): ApprovalDecision {
  const b = bodyObject(body);
  const decision = b.decision;
  if (decision !== 'approve' && decision !== 'deny')
    throw bad('decision', decision, "use 'approve' or 'deny'");
  const d: ApprovalDecision = { decision, decidedBy };
  const reason = text(b, 'reason', MAX_TEXT);
  if (reason !== undefined) d.reason = reason;
  const remember = integer(b, 'remember_minutes', 1, 1440);
  const sameArgs = b.same_args_only;
  if (sameArgs !== undefined && sameArgs !== null && typeof sameArgs !== 'boolean')
    throw bad('same_args_only', sameArgs, 'use true or false');
  if (decision === 'deny' && remember !== undefined)
    throw bad(
      'remember_minutes',
      remember,
      'a grant is remembered only with approve; leave it out when denying',
    );
  if (sameArgs === true && remember === undefined)
    throw bad('same_args_only', sameArgs, 'it narrows a remembered grant; give remember_minutes with it');
  if (remember !== undefined) {
    d.rememberMinutes = remember;
    d.sameArgsOnly = sameArgs === true;
  }
  return d;
}

/**
 * The body of the Python SDK's `POST /api/slack/approvals`: `{approval_id, agent_name,
 * agent_id, scope, function, timeout, channel}`, `timeout` in seconds (default 300).
 * Its `approval_id` makes a retry idempotent.
 *
 * @example
 * ```ts
 * const asked = parsePythonApproval(request.body); // source 'python'
 * ```
 */
export function parsePythonApproval(body: unknown): NewApproval {
  const b = bodyObject(body);
  const timeout = b.timeout;
  let timeoutMs: number = APPROVAL_TIMEOUT_MS.default;
  if (timeout !== undefined && timeout !== null) {
    const min = APPROVAL_TIMEOUT_MS.min / 1000;
    const max = APPROVAL_TIMEOUT_MS.max / 1000;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < min || timeout > max)
      throw bad('timeout', timeout, `give the seconds to wait, from ${min} to ${max}`);
    timeoutMs = Math.round(timeout * 1000);
  }
  const asked: NewApproval = {
    source: 'python',
    agentName: text(b, 'agent_name', MAX_NAME, true),
    scope: text(b, 'scope', MAX_SCOPE, true),
    functionName: text(b, 'function', MAX_SCOPE, true),
    timeoutMs,
  };
  const requestKey = text(b, 'approval_id', MAX_NAME);
  const agentId = text(b, 'agent_id', MAX_NAME);
  const channel = text(b, 'channel', MAX_NAME);
  // Namespaced, so a Python id can never answer for an SDK request's key.
  if (requestKey !== undefined) asked.requestKey = `python:${requestKey}`;
  if (agentId !== undefined) asked.agentId = agentId;
  if (channel !== undefined) asked.channel = channel;
  return asked;
}

/**
 * The wait endpoint's `timeout_ms` (0..30000, default 25000).
 *
 * @example
 * ```ts
 * parseWaitTimeout({ timeout_ms: '1000' }); // 1000
 * ```
 */
export function parseWaitTimeout(q: Record<string, unknown>): number {
  const raw = q.timeout_ms;
  if (raw === undefined || raw === '') return WAIT_TIMEOUT_MS.default;
  const n = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= WAIT_TIMEOUT_MS.min && n <= WAIT_TIMEOUT_MS.max))
    throw new ApiError(
      400,
      'invalid_query',
      `Query parameter timeout_ms=${JSON.stringify(raw)} is invalid: give the milliseconds to wait, a whole number from ${WAIT_TIMEOUT_MS.min} to ${WAIT_TIMEOUT_MS.max}; the stream (GET /api/approvals/stream) waits longer.`,
      'timeout_ms',
    );
  return n;
}

/**
 * An approval or grant id from the URL: 22 base64url characters. Anything else names no
 * approval, so it is a 404 without a database lookup.
 *
 * @example
 * ```ts
 * const id = parseApprovalId(request.params.id, 'approval');
 * ```
 */
export function parseApprovalId(value: string, kind: 'approval' | 'grant'): string {
  if (!/^[A-Za-z0-9_-]{22}$/.test(value))
    throw new ApiError(
      404,
      `${kind}_not_found`,
      `No ${kind} ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}: ${kind} ids are the 22 characters the server answered.`,
    );
  return value;
}
