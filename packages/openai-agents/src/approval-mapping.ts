import {
  ApprovalPendingError,
  ConfigurationError,
  assertValidScope,
  type ApprovalContext,
  type ApprovalVerdict,
  type Approver,
} from '@agentsudo/core';
import { cloudApproval, type CloudApprovalOptions } from '@agentsudo/transport-cloud';

/**
 * Which tools ask a person instead of refusing, and who holds the request. By default the
 * request is held by the AgentSudo server (`cloudApproval` in pending mode): the dashboard,
 * Slack or your own UI decide, and the run resumes once the server says approved.
 *
 * @example
 * ```ts
 * const approval: ToolApprovalOptions = {
 *   scopes: ['write:refunds'],
 *   timeoutMs: 600_000,
 *   describe: (input) => `Refund ${input.amount} EUR on order ${input.orderId}`,
 * };
 * ```
 */
export interface ToolApprovalOptions extends Omit<CloudApprovalOptions, 'wait'> {
  /** The scopes whose tools ask for approval when the agent lacks them. Default: every scope. */
  scopes?: readonly string[];
  /** Decides instead of the AgentSudo server (an `onDeny` approver, as for `@Sudo`). */
  approver?: Approver;
}

/**
 * What a guard does about approvals: whether a scope asks, and the approver that decides.
 *
 * @example
 * ```ts
 * const mapping = approvalMapping({ scopes: ['write:refunds'] });
 * mapping?.asks('write:refunds'); // true
 * ```
 */
export interface ApprovalMapping {
  asks(scope: string): boolean;
  approver: Approver;
}

/**
 * Reads `guardTools`' `approval` option: undefined (no approvals), an approver, or
 * {@link ToolApprovalOptions}. Checked at once, so a typo stops start-up, not a call.
 *
 * @example
 * ```ts
 * approvalMapping(async (ctx) => ctx.args.length < 3);
 * ```
 */
export function approvalMapping(
  option: Approver | ToolApprovalOptions | undefined,
  where: string,
): ApprovalMapping | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') return { asks: () => true, approver: option };
  if (typeof option !== 'object' || option === null) {
    throw new ConfigurationError(
      `${where}: approval must be an approver function or options like { scopes: ['write:refunds'] }, got ${String(option)}.`,
    );
  }
  const { scopes, approver, ...cloud } = option;
  if ('wait' in cloud) {
    throw new ConfigurationError(
      `${where}: approval.wait is not an option here: a run waits for approval through the SDK's ` +
        `interruptions (result.interruptions), never inside a tool call. Remove it.`,
    );
  }
  if (approver !== undefined && typeof approver !== 'function') {
    throw new ConfigurationError(
      `${where}: approval.approver must be a function (ctx) => verdict, got ${typeof approver}.`,
    );
  }
  if (scopes !== undefined && !Array.isArray(scopes)) {
    throw new ConfigurationError(
      `${where}: approval.scopes must be a list of scopes like ['write:refunds'], got ${JSON.stringify(scopes)}.`,
    );
  }
  for (const scope of scopes ?? []) assertValidScope(scope, `${where}: approval.scopes`);
  const asking = scopes === undefined ? undefined : new Set(scopes);
  return {
    asks: (scope) => asking === undefined || asking.has(scope),
    approver: approver ?? cloudApproval({ ...cloud, wait: false }),
  };
}

/**
 * What an approver answered for one call: a decision (approved or not), or a request still
 * pending. Whatever prevents a decision (an error, an unreachable server) is a refusal.
 *
 * @example
 * ```ts
 * const answer = await askApprover(mapping.approver, ctx);
 * if (answer.kind === 'pending') console.log(answer.error.approvalId);
 * ```
 */
export type ApproverAnswer =
  { kind: 'decided'; verdict: ApprovalVerdict } | { kind: 'pending'; error: ApprovalPendingError };

/**
 * Asks `approver` about one call and never throws.
 *
 * @example
 * ```ts
 * const answer = await askApprover(approver, { agent, session, scope, functionName: 'processRefund', args: [input], isAsync: false });
 * ```
 */
export async function askApprover(approver: Approver, ctx: ApprovalContext): Promise<ApproverAnswer> {
  try {
    const answer = await approver(ctx);
    const verdict = typeof answer === 'boolean' ? { approved: answer } : answer;
    if (typeof verdict !== 'object' || verdict === null || typeof verdict.approved !== 'boolean') {
      return {
        kind: 'decided',
        verdict: {
          approved: false,
          cause: new ConfigurationError(
            `The approver of ${ctx.functionName} answered ${String(answer)}; it must answer true, false or { approved }.`,
          ),
        },
      };
    }
    return { kind: 'decided', verdict };
  } catch (error) {
    if (error instanceof ApprovalPendingError) return { kind: 'pending', error };
    return { kind: 'decided', verdict: { approved: false, cause: error } };
  }
}
