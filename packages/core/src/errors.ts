/**
 * Errors thrown by AgentSudo. Every permission failure is a {@link PermissionError}, so
 * one `instanceof` check covers them all; each error's message says what to do next.
 */

/**
 * Fields shared by every permission error.
 *
 * @example
 * ```ts
 * const details: PermissionErrorDetails = { agentName: 'Bot', scope: 'write:refunds', functionName: 'refund' };
 * ```
 */
export interface PermissionErrorDetails {
  /** The agent that made the call, when one was in session. */
  agentName?: string;
  /** The scope the call required. */
  scope: string;
  /** `ClassName.method` or the function's name. */
  functionName: string;
}

/**
 * Base class of every permission failure.
 *
 * @example
 * ```ts
 * try {
 *   await service.processRefund('o-1');
 * } catch (e) {
 *   if (e instanceof PermissionError) console.log(`${e.agentName} lacks ${e.scope}`);
 * }
 * ```
 */
export class PermissionError extends Error {
  readonly agentName: string | undefined;
  readonly scope: string;
  readonly functionName: string;

  constructor(message: string, details: PermissionErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.agentName = details.agentName;
    this.scope = details.scope;
    this.functionName = details.functionName;
  }
}

/**
 * The agent in session lacks the required scope (or an approver said no).
 *
 * @example
 * ```ts
 * if (e instanceof PermissionDeniedError) console.log(e.grantedScopes);
 * ```
 */
export class PermissionDeniedError extends PermissionError {
  /** The scopes the agent does have, to help pick the missing grant. */
  readonly grantedScopes: readonly string[];
  /** True when an approver callback refused the call. */
  readonly byApprover: boolean;

  constructor(details: PermissionErrorDetails & { grantedScopes: readonly string[]; byApprover?: boolean }) {
    const granted = details.grantedScopes.length ? details.grantedScopes.join(', ') : '(none)';
    const message = details.byApprover
      ? `Agent '${details.agentName}' lacks scope '${details.scope}' required by ${details.functionName}, ` +
        `and the approver refused the call. It has: ${granted}. Grant '${details.scope}' in the agent's ` +
        `scopes, or change what the approver accepts, if it should be allowed.`
      : `Agent '${details.agentName}' lacks scope '${details.scope}' required by ${details.functionName}. ` +
        `It has: ${granted}. Grant '${details.scope}' (or a wildcard such as '${wildcardFor(details.scope)}') ` +
        `in the agent's scopes if it should be allowed.`;
    super(message, details);
    this.grantedScopes = details.grantedScopes;
    this.byApprover = details.byApprover ?? false;
  }
}

/**
 * The call waits for a person to decide: it did not run, and no denial was recorded. Call
 * it again with the same arguments once request `approvalId` is approved; it then runs
 * exactly once. Agent frameworks that suspend and resume catch this error.
 *
 * @example
 * ```ts
 * try {
 *   await payments.refund('o-7', 120);
 * } catch (e) {
 *   if (e instanceof ApprovalPendingError) return suspendUntilApproved(e.approvalId);
 *   throw e;
 * }
 * ```
 */
export class ApprovalPendingError extends PermissionError {
  /** The request held for a decision (as listed on the dashboard's Approvals page). */
  readonly approvalId: string;
  /** When the request expires unanswered (ISO 8601), when known. */
  readonly expiresAt: string | undefined;

  constructor(details: PermissionErrorDetails & { approvalId: string; expiresAt?: string }) {
    const until = details.expiresAt ? ` before it expires at ${details.expiresAt}` : '';
    super(
      `${details.functionName} (scope '${details.scope}') waits for approval request ${details.approvalId}; ` +
        `it did not run. Once a person approves it${until}, make the same call again with the same ` +
        `arguments: it then runs once. A call with other arguments asks anew.`,
      details,
    );
    this.approvalId = details.approvalId;
    this.expiresAt = details.expiresAt;
  }
}

/**
 * A protected function was called outside any agent session.
 *
 * @example
 * ```ts
 * agent.startSession(() => service.getCustomer('c-1')); // instead of calling it bare
 * ```
 */
export class NoSessionError extends PermissionError {
  constructor(details: Omit<PermissionErrorDetails, 'agentName'>) {
    super(
      `${details.functionName} requires scope '${details.scope}' but no agent session is active. ` +
        `Run the call inside agent.startSession(() => ...) so AgentSudo knows which agent is calling.`,
      details,
    );
  }
}

/**
 * The session outlived its agent's `sessionTtlMs`.
 *
 * @example
 * ```ts
 * if (e instanceof SessionExpiredError) await agent.startSession(retry);
 * ```
 */
export class SessionExpiredError extends PermissionError {
  /** When the session expired (ISO 8601). */
  readonly expiredAt: string;

  constructor(details: PermissionErrorDetails & { expiredAt: string }) {
    super(
      `The session of agent '${details.agentName}' expired at ${details.expiredAt}; ${details.functionName} ` +
        `(scope '${details.scope}') was not run. Start a new session with agent.startSession(...) ` +
        `or raise the agent's sessionTtlMs.`,
      details,
    );
    this.expiredAt = details.expiredAt;
  }
}

/**
 * A value given to AgentSudo's API is unusable (a blank scope, a bad option).
 * Thrown at configuration time, never from a protected call.
 *
 * @example
 * ```ts
 * new Agent({ name: 'Bot', scopes: [''] }); // throws ConfigurationError naming the empty scope
 * ```
 */
export class ConfigurationError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

function wildcardFor(scope: string): string {
  const colon = scope.indexOf(':');
  return colon > 0 ? `${scope.slice(0, colon)}:*` : '*';
}
