import type { ServerResponse } from 'node:http';
import type { PermissionError } from '@agentsudo/core';

/**
 * The JSON body of a 403: the error's message (which says what to grant), the scope
 * that was required and the agent that lacked it (null outside a session).
 *
 * @example
 * ```ts
 * const body: ForbiddenBody = { error: "Agent 'ReadOnlyBot' lacks scope 'write:refunds' …", scope: 'write:refunds', agent: 'ReadOnlyBot' };
 * ```
 */
export interface ForbiddenBody {
  error: string;
  scope: string;
  agent: string | null;
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
 * The 403 body for a permission error.
 *
 * @example
 * ```ts
 * res.status(403).json(forbiddenBody(err));
 * ```
 */
export function forbiddenBody(err: PermissionError): ForbiddenBody {
  return { error: err.message, scope: err.scope, agent: err.agentName ?? null };
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
