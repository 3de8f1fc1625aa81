/**
 * Errors thrown by AgentSudo. Every permission failure is a {@link PermissionError}, so
 * one `instanceof` check covers them all; each error's message says what to do next.
 */
import type { DenialReason } from './guard';

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
 * The rule behind a `rate_limit` or `budget` refusal: the agent's `limits[pattern]` or
 * `budgets[pattern]`.
 *
 * @example
 * ```ts
 * const limit: DeniedLimit = { kind: 'rate_limit', pattern: 'write:refunds', max: 10, per: '1h' };
 * ```
 */
export interface DeniedLimit {
  kind: 'rate_limit' | 'budget';
  pattern: string;
  max: number;
  per: string | number;
}

/**
 * What a {@link PermissionDeniedError} is built from. Only `grantedScopes` is required
 * beside the base fields; the others belong to their `reason`.
 *
 * @example
 * ```ts
 * new PermissionDeniedError({ agentName: 'Bot', scope: 'write:refunds', functionName: 'refund',
 *   grantedScopes: ['write:refunds'], reason: 'rate_limit', retryAfterMs: 1200,
 *   limit: { kind: 'rate_limit', pattern: 'write:refunds', max: 10, per: '1h' } });
 * ```
 */
export interface DenialDetails extends PermissionErrorDetails {
  grantedScopes: readonly string[];
  /** True when an approver refused; the reason is then `approval`. */
  byApprover?: boolean;
  /** Default: `approval` when `byApprover`, else `scope`. */
  reason?: DenialReason;
  /** For an approver's refusal: what it was asked to allow (default `scope`). */
  approvalFor?: 'scope' | 'condition';
  limit?: DeniedLimit;
  retryAfterMs?: number;
  remaining?: number;
  /** The call's cost, for a budget refusal. */
  cost?: number;
  /** The guard and rule of a guardrail refusal, and the guard's message (never argument content). */
  guard?: string;
  rule?: string;
  guardMessage?: string;
  /** Why no decision could be made (a condition, guard, cost or store that failed): one clause. */
  failure?: string;
}

/**
 * A call was refused, and `reason` says why: the agent lacks the `scope`, a `condition`
 * (`when`) failed, a `rate_limit` or `budget` is used up, a `guardrail` refused the
 * arguments, or an `approval` was refused. Rate-limit refusals carry `retryAfterMs`,
 * budget refusals `remaining` (and `retryAfterMs` when the cost will fit later).
 *
 * @example
 * ```ts
 * if (e instanceof PermissionDeniedError && e.reason === 'rate_limit') setTimeout(retry, e.retryAfterMs);
 * ```
 */
export class PermissionDeniedError extends PermissionError {
  /** Why the call was refused. */
  readonly reason: DenialReason;
  /** The scopes the agent does have, to help pick the missing grant. */
  readonly grantedScopes: readonly string[];
  /** True when an approver callback refused the call. */
  readonly byApprover: boolean;
  /** For `rate_limit` and `budget`: the rule that refused. */
  readonly limit: DeniedLimit | undefined;
  /** For `rate_limit` (and `budget`, when the cost fits later): milliseconds until a retry can pass. */
  readonly retryAfterMs: number | undefined;
  /** For `budget` (and `rate_limit`): what is left in the window. */
  readonly remaining: number | undefined;
  /** For `guardrail`: the guard's name and the rule that matched. */
  readonly guard: string | undefined;
  readonly rule: string | undefined;

  constructor(details: DenialDetails) {
    const reason = details.reason ?? (details.byApprover ? 'approval' : 'scope');
    super(denialMessage(reason, details), details);
    this.reason = reason;
    this.grantedScopes = details.grantedScopes;
    this.byApprover = details.byApprover ?? false;
    this.limit = details.limit;
    this.retryAfterMs = details.retryAfterMs;
    this.remaining = details.remaining;
    this.guard = details.guard;
    this.rule = details.rule;
  }
}

function denialMessage(reason: DenialReason, d: DenialDetails): string {
  const granted = d.grantedScopes.length ? d.grantedScopes.join(', ') : '(none)';
  const agent = `Agent '${d.agentName}'`;
  const call = `${d.functionName} (scope '${d.scope}')`;
  switch (reason) {
    case 'scope':
      return (
        `${agent} lacks scope '${d.scope}' required by ${d.functionName}. ` +
        `It has: ${granted}. Grant '${d.scope}' (or a wildcard such as '${wildcardFor(d.scope)}') ` +
        `in the agent's scopes if it should be allowed.`
      );
    case 'approval':
      return d.approvalFor === 'condition'
        ? `${agent} may use '${d.scope}', but the condition (when) of ${d.functionName} refused this call, ` +
            `and the approver refused it too. Change what the approver accepts, or the condition, if it should be allowed.`
        : `${agent} lacks scope '${d.scope}' required by ${d.functionName}, ` +
            `and the approver refused the call. It has: ${granted}. Grant '${d.scope}' in the agent's ` +
            `scopes, or change what the approver accepts, if it should be allowed.`;
    case 'condition':
      return d.failure
        ? `${agent} may use '${d.scope}', but the condition (when) of ${d.functionName} could not decide (${d.failure}), ` +
            `so the call was refused. Make the condition return true or false without throwing.`
        : `${agent} may use '${d.scope}', but the condition (when) of ${d.functionName} refused this call. ` +
            `Change the arguments or the condition if it should be allowed, or set onDeny to an approver so a person can allow it.`;
    case 'guardrail':
      return d.failure
        ? `Guard '${d.guard}' could not inspect the arguments of ${call}: ${d.failure}. The call was refused, ` +
            `as a guard that cannot decide refuses. Fix the guard, or remove it from the guards of ${d.functionName}.`
        : `Guard '${d.guard}' refused the arguments of ${call}, rule ${d.rule}: ${d.guardMessage} ` +
            `The call did not run. Change the arguments, or the guards of ${d.functionName}, if it should be allowed.`;
    case 'rate_limit':
    case 'budget':
      return limitMessage(reason, d, agent, call);
  }
}

function limitMessage(
  reason: 'rate_limit' | 'budget',
  d: DenialDetails,
  agent: string,
  call: string,
): string {
  const option = reason === 'rate_limit' ? 'limits' : 'budgets';
  const rule = d.limit ? `${option}[${JSON.stringify(d.limit.pattern)}]` : option;
  const size = d.limit ? ` (${d.limit.max} per ${d.limit.per})` : '';
  if (d.failure) {
    return (
      `${agent} called ${call}, and its ${rule}${size} could not be checked: ${d.failure}. ` +
      `The call was refused because no decision could be made. ` +
      `Fix the cause, or configure({ failOpen: true }) to run calls while a limit store is down.`
    );
  }
  const retry =
    d.retryAfterMs === undefined || !Number.isFinite(d.retryAfterMs)
      ? ''
      : `Retry in ${Math.ceil(d.retryAfterMs)} ms, when earlier calls leave the window, or raise ${rule}.max.`;
  if (reason === 'rate_limit') {
    return `${agent} reached its rate limit ${rule}${size} calling ${call}. ${retry}`;
  }
  const left = `${agent} has ${d.remaining} left of its budget ${rule}${size}, and ${call} costs ${d.cost}.`;
  return d.retryAfterMs !== undefined && !Number.isFinite(d.retryAfterMs)
    ? `${left} That is more than the whole budget, so this call can never run under it; raise ${rule}.max if it should.`
    : `${left} ${retry}`;
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
