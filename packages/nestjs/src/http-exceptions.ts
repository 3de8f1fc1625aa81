import { ForbiddenException, HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
import { PermissionDeniedError, type PermissionError } from '@agentsudo/core';
import { denialReason, denialStatus, type DenialReason } from './denials';
import type { Refusal, RefusalReason } from './request-session';

/**
 * The JSON body of a 403: Nest's shape (`statusCode`, `message`, `error`) plus which scope
 * was missing, for which agent (null without one) and why. `functionName` and
 * `grantedScopes` appear only with the module option `exposeDetails: true`.
 *
 * @example
 * ```ts
 * const body: ForbiddenResponse = { statusCode: 403, message: "Agent 'SupportBot' lacks scope 'write:refunds'.",
 *   error: 'Forbidden', scope: 'write:refunds', agent: 'SupportBot', reason: 'scope' };
 * ```
 */
export interface ForbiddenResponse {
  statusCode: 403;
  message: string;
  error: 'Forbidden';
  scope: string;
  agent: string | null;
  reason: DenialReason;
  /** For `budget`: what is left of the budget in its window. */
  remaining?: number;
  /** For `guardrail`: the guard and the rule that refused. */
  guard?: string;
  rule?: string;
  functionName?: string;
  grantedScopes?: readonly string[];
}

/**
 * The JSON body of a 429: the 403 body's fields, with Nest's status and error for 429 and
 * `retryAfter`, the seconds the `Retry-After` header also says.
 *
 * @example
 * ```ts
 * const body: TooManyRequestsResponse = { statusCode: 429, error: 'Too Many Requests', retryAfter: 3600,
 *   message: "Agent 'RefundBot' reached its rate limit for scope 'write:refunds'; retry in 3600 s.",
 *   scope: 'write:refunds', agent: 'RefundBot', reason: 'rate_limit' };
 * ```
 */
export interface TooManyRequestsResponse extends Omit<ForbiddenResponse, 'statusCode' | 'error'> {
  statusCode: 429;
  error: 'Too Many Requests';
  retryAfter: number;
}

/**
 * A `PermissionError` as Nest sees it: a `ForbiddenException` (403) carrying the scope,
 * the agent and the reason, with the original error as `cause`. Any filter written for
 * `HttpException` answers it with 403; the message a client reads is the short one
 * unless `exposeDetails` is set (the full one stays in the audit event and the server log).
 *
 * @example
 * ```ts
 * @Catch(AgentForbiddenException)
 * export class DenialsFilter implements ExceptionFilter {
 *   catch(e: AgentForbiddenException, host: ArgumentsHost) {
 *     host.switchToHttp().getResponse().status(403).json({ denied: e.scope });
 *   }
 * }
 * ```
 */
export class AgentForbiddenException extends ForbiddenException {
  /** The scope that was required. */
  readonly scope: string;
  /** The agent that lacked it; null when the call ran without an agent. */
  readonly agent: string | null;
  readonly reason: DenialReason;

  constructor(error: PermissionError, options: { exposeDetails?: boolean } = {}) {
    const body = denialBody(error, options.exposeDetails === true);
    super({ statusCode: 403, error: 'Forbidden', ...body } satisfies ForbiddenResponse, { cause: error });
    this.scope = error.scope;
    this.agent = body.agent;
    this.reason = body.reason;
  }
}

/**
 * A denial the same call can get past later (a used-up rate limit, or a budget its cost fits
 * once earlier spending leaves the window): an `HttpException` with status 429 and the
 * seconds to wait. The interceptor and `PermissionErrorFilter` set `Retry-After` on the
 * response before throwing or answering it, so a filter of your own keeps the header.
 *
 * @example
 * ```ts
 * if (e instanceof AgentTooManyRequestsException) metrics.increment(`agent_429.${e.reason}`);
 * ```
 */
export class AgentTooManyRequestsException extends HttpException {
  /** The scope that was required. */
  readonly scope: string;
  readonly agent: string | null;
  readonly reason: DenialReason;
  /** Whole seconds until the call can pass, as `Retry-After` says. */
  readonly retryAfterSeconds: number;

  constructor(error: PermissionError, retryAfterSeconds: number, options: { exposeDetails?: boolean } = {}) {
    const body = denialBody(error, options.exposeDetails === true);
    const response: TooManyRequestsResponse = {
      statusCode: 429,
      error: 'Too Many Requests',
      ...body,
      retryAfter: retryAfterSeconds,
    };
    super(response, HttpStatus.TOO_MANY_REQUESTS, { cause: error });
    this.scope = error.scope;
    this.agent = body.agent;
    this.reason = body.reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The Nest exception for a permission error: {@link AgentTooManyRequestsException} (429)
 * when {@link denialStatus} says the call can pass later, else {@link AgentForbiddenException}
 * (403).
 *
 * @example
 * ```ts
 * const exception = denialException(err);
 * if (exception instanceof AgentTooManyRequestsException) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
 * ```
 */
export function denialException(
  error: PermissionError,
  options: { exposeDetails?: boolean } = {},
): AgentForbiddenException | AgentTooManyRequestsException {
  const { retryAfterSeconds } = denialStatus(error);
  return retryAfterSeconds === undefined
    ? new AgentForbiddenException(error, options)
    : new AgentTooManyRequestsException(error, retryAfterSeconds, options);
}

/** The fields every denial body has, and those its reason adds. */
function denialBody(
  error: PermissionError,
  exposeDetails: boolean,
): Omit<ForbiddenResponse, 'statusCode' | 'error'> {
  const reason = denialReason(error);
  const body: Omit<ForbiddenResponse, 'statusCode' | 'error'> = {
    message: exposeDetails ? error.message : clientMessage(error, reason),
    scope: error.scope,
    agent: error.agentName ?? null,
    reason,
  };
  if (error instanceof PermissionDeniedError) {
    if (reason === 'budget' && error.remaining !== undefined) body.remaining = error.remaining;
    if (reason === 'guardrail') {
      if (error.guard !== undefined) body.guard = error.guard;
      if (error.rule !== undefined) body.rule = error.rule;
    }
  }
  if (exposeDetails) {
    body.functionName = error.functionName;
    if (error instanceof PermissionDeniedError) body.grantedScopes = error.grantedScopes;
  }
  return body;
}

/**
 * The JSON body of a 401: Nest's shape plus why no agent was recognised.
 *
 * @example
 * ```ts
 * const body: UnauthorizedResponse = { statusCode: 401, error: 'Unauthorized', reason: 'missing_token',
 *   message: 'Missing agent token: send Authorization: Bearer <agent token>.' };
 * ```
 */
export interface UnauthorizedResponse {
  statusCode: 401;
  message: string;
  error: 'Unauthorized';
  reason: RefusalReason;
}

/**
 * A request that needs an agent and has none: an `UnauthorizedException` (401) saying
 * what to send. The guard sets `WWW-Authenticate: Bearer realm="agentsudo"` on the
 * response before throwing it, so a filter of your own keeps the header.
 *
 * @example
 * ```ts
 * if (e instanceof AgentUnauthorizedException) metrics.increment(`agent_401.${e.reason}`);
 * ```
 */
export class AgentUnauthorizedException extends UnauthorizedException {
  readonly reason: RefusalReason;

  constructor(refusal: Refusal) {
    const body: UnauthorizedResponse = {
      statusCode: 401,
      message: refusal.message,
      error: 'Unauthorized',
      reason: refusal.reason,
    };
    super(body);
    this.reason = refusal.reason;
  }
}

/**
 * What a client may read: the scope, the reason and what to do, not the agent's other
 * scopes, the limit's size nor our class names.
 */
function clientMessage(error: PermissionError, reason: DenialReason): string {
  const scope = `'${error.scope}'`;
  const denied = error instanceof PermissionDeniedError ? error : undefined;
  const retry = denied ? denialStatus(denied).retryAfterSeconds : undefined;
  switch (reason) {
    case 'condition':
      return `Agent '${error.agentName}' may use scope ${scope}, but a condition refused this call.`;
    case 'guardrail':
      return `A guard refused the arguments of this call needing scope ${scope} (rule ${denied?.rule ?? 'unknown'}); change them.`;
    case 'rate_limit':
    case 'budget': {
      const what = reason === 'rate_limit' ? 'rate limit' : 'budget';
      // A store that could not answer refuses without a retry time (fail closed).
      if (denied?.retryAfterMs === undefined) {
        return `Agent '${error.agentName}''s ${what} for scope ${scope} could not be checked, so the call was refused; try again later.`;
      }
      if (reason === 'rate_limit') {
        return `Agent '${error.agentName}' reached its rate limit for scope ${scope}; retry in ${retry} s.`;
      }
      const left = `Agent '${error.agentName}' has ${denied.remaining} left of its budget for scope ${scope}, less than this call costs`;
      return retry === undefined
        ? `${left}, and more than the whole budget: it can never run under it.`
        : `${left}; retry in ${retry} s.`;
    }
    case 'no_session':
      return `This call needs scope ${scope}, and the request runs without an agent.`;
    case 'session_expired':
      return `The agent session expired before a call needing scope ${scope}; send the request again.`;
    case 'approval':
      return `Agent '${error.agentName}' lacks scope ${scope}, and the approver refused the call.`;
    default:
      return `Agent '${error.agentName}' lacks scope ${scope}.`;
  }
}
