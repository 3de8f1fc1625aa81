import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import {
  NoSessionError,
  PermissionDeniedError,
  SessionExpiredError,
  type PermissionError,
} from '@agentsudo/core';
import type { Refusal, RefusalReason } from './request-session';

/**
 * Why a call was denied: the agent lacks the scope, an approver refused, the call ran
 * without any agent, or the agent's session had expired.
 *
 * @example
 * ```ts
 * if (exception.reason === 'no_session') logger.warn('a protected call ran without an agent');
 * ```
 */
export type DenialReason = 'scope' | 'approval' | 'no_session' | 'session_expired';

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
  functionName?: string;
  grantedScopes?: readonly string[];
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
    const reason = denialReason(error);
    const agent = error.agentName ?? null;
    const body: ForbiddenResponse = {
      statusCode: 403,
      message: options.exposeDetails ? error.message : clientMessage(error, reason),
      error: 'Forbidden',
      scope: error.scope,
      agent,
      reason,
    };
    if (options.exposeDetails) {
      body.functionName = error.functionName;
      if (error instanceof PermissionDeniedError) body.grantedScopes = error.grantedScopes;
    }
    super(body, { cause: error });
    this.scope = error.scope;
    this.agent = agent;
    this.reason = reason;
  }
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
 * The reason behind a permission error.
 *
 * @example
 * ```ts
 * denialReason(err); // 'scope'
 * ```
 */
export function denialReason(error: PermissionError): DenialReason {
  if (error instanceof NoSessionError) return 'no_session';
  if (error instanceof SessionExpiredError) return 'session_expired';
  if (error instanceof PermissionDeniedError && error.byApprover) return 'approval';
  return 'scope';
}

/** What a client may read: the scope and the reason, not the agent's other scopes nor our class names. */
function clientMessage(error: PermissionError, reason: DenialReason): string {
  const scope = `'${error.scope}'`;
  switch (reason) {
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
