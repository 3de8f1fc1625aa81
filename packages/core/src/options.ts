import type { Agent } from './agent';
import { ConfigurationError } from './errors';
import type { Session } from './session';

/**
 * What an approver sees. `args` are the call's arguments: they go to the approver only
 * and never into an event.
 *
 * @example
 * ```ts
 * const approver = (ctx: ApprovalContext) => ctx.args[1] < 100; // small refunds only
 * ```
 */
export interface ApprovalContext {
  agent: Agent;
  session: Session;
  scope: string;
  functionName: string;
  args: readonly unknown[];
  /**
   * True when the protected function is declared `async`: its callers already await it, so
   * an approver may keep the call waiting. False for a synchronous function, whose callers
   * may not expect a Promise (an approver that holds requests elsewhere asks without waiting).
   */
  isAsync: boolean;
}

/**
 * What an approver may answer besides a boolean. `approvalId` and `decidedBy` name the
 * request and who decided it. `silent: true` says the approver's own system already recorded
 * the decision (a server that holds approvals records its events), so no
 * `approval_granted` / `approval_denied` event is emitted here. `cause` becomes the
 * `PermissionDeniedError`'s cause on a refusal (a timeout, say).
 *
 * @example
 * ```ts
 * const verdict: ApprovalVerdict = { approved: true, approvalId: 'k3JtR0w8b1QxZ2FmYWtlaWQ', decidedBy: 'ana@example.com', silent: true };
 * ```
 */
export interface ApprovalVerdict {
  approved: boolean;
  approvalId?: string;
  decidedBy?: string;
  silent?: boolean;
  cause?: unknown;
}

/**
 * Decides a call the agent lacks the scope for: `true` (or `{ approved: true }`) runs it.
 * Returning a Promise makes the protected call return a Promise too, even when the method
 * is synchronous. Throwing `ApprovalPendingError` makes the call throw it as is, with no
 * denial event: the decision is still to come.
 *
 * @example
 * ```ts
 * const askHuman: Approver = async (ctx) => (await slack.ask(`${ctx.agent.name} wants ${ctx.scope}`)) === 'yes';
 * ```
 */
export type Approver = (
  ctx: ApprovalContext,
) => boolean | ApprovalVerdict | Promise<boolean | ApprovalVerdict>;

/**
 * What happens when the agent lacks the scope: `'raise'` (default) throws
 * `PermissionDeniedError`; `'log'` is audit mode (an `audit_violation` event, the call
 * runs); a function is an {@link Approver}.
 *
 * @example
 * ```ts
 * @Sudo('write:refunds', { onDeny: 'log' })
 * ```
 */
export type OnDeny = 'raise' | 'log' | Approver;

/**
 * Options of `@Sudo` and `sudo()`.
 *
 * @example
 * ```ts
 * @Sudo('write:refunds', { onDeny: 'log', name: 'refunds.process' })
 * ```
 */
export interface SudoOptions {
  onDeny?: OnDeny;
  /** Overrides the function name shown in events and errors. */
  name?: string;
}

/**
 * Checks options at decoration time, so a typo fails when the class loads, not on a call.
 *
 * @example
 * ```ts
 * assertValidOptions({ onDeny: 'log' }, "@Sudo('read:x')");
 * ```
 */
export function assertValidOptions(options: unknown, where: string): asserts options is SudoOptions {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`${where}: options must be an object like { onDeny: 'log' }.`);
  }
  const { onDeny, name } = options as SudoOptions;
  if (onDeny !== undefined && onDeny !== 'raise' && onDeny !== 'log' && typeof onDeny !== 'function') {
    throw new ConfigurationError(
      `${where}: onDeny ${JSON.stringify(onDeny)} is not valid; use 'raise', 'log' or an approver function.`,
    );
  }
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new ConfigurationError(`${where}: name must be a non-empty string.`);
  }
}
