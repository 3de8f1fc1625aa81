/**
 * The Express (and plain node:http) side of @agentsudo/nestjs. Importing this entry
 * (`@agentsudo/nestjs/express`) loads no `@nestjs/*` module, so Express users need not
 * install NestJS.
 *
 * @example
 * ```ts
 * import { agentSudoMiddleware, requireScope, permissionErrorHandler } from '@agentsudo/nestjs/express';
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError, PermissionError, assertValidScope } from '@agentsudo/core';
import { readAgentSource, type AgentSource } from './middleware-options';
import { assertSessionIntact, createSessionMiddleware, type NodeMiddleware } from './request-session';
import { denialStatus } from './denials';
import { forbiddenBody, sendJson } from './responses';
import { scopeCheck } from './scope-check';

export { AgentRegistry, type AgentRegistration } from './registry';
export { generateAgentToken, hashAgentToken } from './tokens';
export { bearerToken } from './bearer';
export { MissingAgentCredentialError } from './errors';
export {
  agentOf,
  requestIdentity,
  assertSessionIntact,
  bearerAgent,
  createSessionMiddleware,
  requestRefusal,
  WWW_AUTHENTICATE,
  type Refusal,
  type RefusalReason,
  type SessionMiddlewareOptions,
  type AgentResolver,
  type NodeMiddleware,
  type RequestIdentity,
} from './request-session';
export { forbiddenBody, sendJson, type ForbiddenBody, type UnauthorizedBody } from './responses';
export { denialReason, denialStatus, type DenialReason } from './denials';
export type { AgentSource } from './middleware-options';

/**
 * Admits each request as an agent: 401 JSON without a known agent, otherwise the rest
 * of the request runs inside that agent's session, so `@Sudo` methods called from any
 * later handler (after awaits and timers too) check the right agent. Mount it before
 * the routes it protects.
 *
 * @example
 * ```ts
 * app.use(express.json());
 * app.use(agentSudoMiddleware({ agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN! }] }));
 * app.get('/customers/:id', (req, res) => res.json(customers.getCustomer(req.params.id)));
 * app.use(permissionErrorHandler());
 * ```
 */
export function agentSudoMiddleware(options: AgentSource = {}): NodeMiddleware {
  const { registry, resolveAgent } = readAgentSource(options, 'agentSudoMiddleware(options)');
  return createSessionMiddleware(registry, resolveAgent);
}

/**
 * A route middleware that lets the request through only when its agent holds every
 * given scope; otherwise it passes a `PermissionDeniedError` to `next`, which
 * {@link permissionErrorHandler} answers with 403. The check is an event like any
 * `@Sudo` call, named after the scopes.
 *
 * @example
 * ```ts
 * app.post('/refunds', requireScope('write:refunds'), (req, res) => res.json(refunds.create(req.body)));
 * ```
 */
export function requireScope(...scopes: string[]): NodeMiddleware {
  if (scopes.length === 0) {
    throw new ConfigurationError(
      "requireScope(): name at least one scope, e.g. requireScope('write:refunds').",
    );
  }
  scopes.forEach((scope, i) => assertValidScope(scope, `requireScope() argument ${i + 1}`));
  const name = `requireScope(${scopes.map((s) => `'${s}'`).join(', ')})`;
  const check = scopeCheck(scopes, name);
  return (req, _res, next) => {
    try {
      assertSessionIntact(req, name);
      check();
    } catch (err) {
      next(err);
      return;
    }
    next();
  };
}

/**
 * An Express error middleware that answers any `PermissionError` (a denied `@Sudo`
 * call anywhere in the request, a failed `requireScope`) with 403 JSON
 * `{ error, scope, agent, reason }`, or 429 with `Retry-After` when the same call can pass
 * later (a rate limit, a budget its cost fits once spending leaves the window), and passes
 * every other error on. Mount it after the routes.
 *
 * @example
 * ```ts
 * app.use(permissionErrorHandler());
 * ```
 */
export function permissionErrorHandler(): (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void {
  return (err, _req, res, next) => {
    if (!(err instanceof PermissionError) || res.headersSent) {
      next(err);
      return;
    }
    const { status, retryAfterSeconds } = denialStatus(err);
    const headers: Record<string, string> =
      retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
    sendJson(res, status, forbiddenBody(err), headers);
  };
}
