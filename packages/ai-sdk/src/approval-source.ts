import { ConfigurationError, type Approver } from '@agentsudo/core';
import { cloudApproval, type CloudApprovalOptions } from '@agentsudo/transport-cloud';

/**
 * Who decides a call the agent lacks the scope for: the AgentSudo server (the options of
 * `cloudApproval`, always in its pending mode, since the AI SDK suspends the run itself), or
 * any approver of core's `onDeny`.
 *
 * @example
 * ```ts
 * const approval: ToolApproval = { timeoutMs: 600_000, describe: (input) => `Refund ${input.amount} EUR` };
 * ```
 */
export type ToolApproval = Omit<CloudApprovalOptions, 'wait'> | Approver;

/**
 * The approver behind the `approval` option: a function is used as is; options make a
 * `cloudApproval` in pending mode (`wait: false`), whose request the dashboard, Slack or the
 * app decide while the run is suspended.
 *
 * @example
 * ```ts
 * const approver = approverOf({ endpoint: 'http://127.0.0.1:8080' }, 'guardTools');
 * ```
 */
export function approverOf(approval: ToolApproval, where: string): Approver {
  if (typeof approval === 'function') return approval;
  if (typeof approval !== 'object' || approval === null) {
    throw new ConfigurationError(
      `${where}: approval must be cloudApproval's options (such as { timeoutMs: 600_000 }) or an approver function, got ${String(approval)}.`,
    );
  }
  if ('wait' in approval && (approval as { wait?: unknown }).wait !== undefined) {
    throw new ConfigurationError(
      `${where}: approval.wait is not an option here: the AI SDK suspends the run for an approval ` +
        `(needsApproval) and resumes it, so the request never blocks. Remove wait.`,
    );
  }
  return cloudApproval({ ...approval, wait: false });
}
