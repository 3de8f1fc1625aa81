import type { ServerResponse } from 'node:http';
import { PermissionDeniedError, type PermissionError } from '@agentsudo/core';
import { denialReason, denialStatus, type DenialReason } from './denials';

/**
 * The JSON body of a denial (403, or 429 when the call can pass later): the error's message
 * (which says what to grant or when to retry), the scope that was required, the agent that
 * lacked it (null outside a session) and why, plus what its reason adds: `retryAfter` (the
 * seconds `Retry-After` says) on a 429, what is `remaining` of a budget, the `guard` and
 * `rule` of a guardrail.
 *
 * @example
 * ```ts
 * const body: ForbiddenBody = { error: "Agent 'ReadOnlyBot' lacks scope 'write:refunds' …", scope: 'write:refunds', agent: 'ReadOnlyBot', reason: 'scope' };
 * ```
 */
export interface ForbiddenBody {
  error: string;
  scope: string;
  agent: string | null;
  reason: DenialReason;
  retryAfter?: number;
  remaining?: number;
  guard?: string;
  rule?: string;
}

/**
 * The JSON body of a 401: why no agent was recognised and what to send instead.
 *
 * @example
 * ```ts
 * const body: UnauthorizedBody = { error: 'Missing agent token: send Authorization: Bearer <agent token>.' };
 * ```
 */
export interface UnauthorizedBody {
  error: string;
}

/**
 * The body for a permission error; {@link denialStatus} gives its status and `Retry-After`.
 *
 * @example
 * ```ts
 * const { status, retryAfterSeconds } = denialStatus(err);
 * res.status(status).json(forbiddenBody(err));
 * ```
 */
export function forbiddenBody(err: PermissionError): ForbiddenBody {
  const body: ForbiddenBody = {
    error: err.message,
    scope: err.scope,
    agent: err.agentName ?? null,
    reason: denialReason(err),
  };
  const { retryAfterSeconds } = denialStatus(err);
  if (retryAfterSeconds !== undefined) body.retryAfter = retryAfterSeconds;
  if (err instanceof PermissionDeniedError) {
    if (body.reason === 'budget' && err.remaining !== undefined) body.remaining = err.remaining;
    if (body.reason === 'guardrail') {
      if (err.guard !== undefined) body.guard = err.guard;
      if (err.rule !== undefined) body.rule = err.rule;
    }
  }
  return body;
}

/**
 * Writes a JSON response with plain node:http calls, so it works under Express,
 * Fastify's raw response, Nest middleware and bare `http.createServer` alike.
 *
 * @example
 * ```ts
 * sendJson(res, 401, { error: 'Missing agent token' }, { 'WWW-Authenticate': 'Bearer' });
 * ```
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.end(payload);
}
