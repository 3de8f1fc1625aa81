import type { Agent } from './agent';
import { ConfigurationError } from './errors';
import type { Guard } from './guard';
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
  /** What the approver is asked to allow: a missing `scope`, or a failed `condition` (`when`). */
  reason?: 'scope' | 'condition';
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
 * Decides a call the agent lacks the scope for, or whose condition (`when`) failed: `true`
 * (or `{ approved: true }`) runs it. Returning a Promise makes the protected call return a
 * Promise too, even when the method is synchronous. Throwing `ApprovalPendingError` makes
 * the call throw it as is, with no denial event: the decision is still to come.
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
 * What a condition (`when`) sees: who calls what, with which arguments. The arguments go
 * to the condition only, never into an event.
 *
 * @example
 * ```ts
 * const smallRefunds = ({ args }: WhenContext) => (args[1] as number) <= 100;
 * ```
 */
export interface WhenContext {
  agent: Agent;
  scope: string;
  functionName: string;
  args: readonly unknown[];
}

/**
 * Options of `@Sudo` and `sudo()`. Checks run in this order, and the first refusal is the
 * one reported: session, scope, `when`, `guards`, the agent's rate limits, its budgets.
 *
 * @example
 * ```ts
 * @Sudo('write:refunds', {
 *   cost: (orderId: string, amount: number) => amount,
 *   when: ({ args }) => (args[1] as number) <= 100,
 *   guards: [noSqlGuard],
 *   onDeny: askOnSlack,
 * })
 * ```
 */
export interface SudoOptions {
  /** What a `scope` or `condition` refusal does: `'raise'` (default), `'log'` (audit mode) or an approver. */
  onDeny?: OnDeny;
  /** Overrides the function name shown in events and errors. */
  name?: string;
  /**
   * A condition on the call, checked after the scope: only `true` lets it on. A false answer
   * is a `condition` refusal, which `onDeny` handles like a missing scope; a condition that
   * throws refuses. It runs only for an agent that has the scope: it narrows a grant, it
   * never widens one.
   */
  when?: (ctx: WhenContext) => boolean;
  /**
   * What the call spends of the agent's budgets, from its arguments: a finite number of at
   * least 0 (a NaN, negative or infinite cost, or one that throws, refuses the call with
   * reason `budget`). Needed by every method an agent's budget covers.
   */
  cost?: (...args: any[]) => number;
  /**
   * Inspect the arguments in the process, after the scope and condition pass: the first
   * `refuse` finding refuses (reason `guardrail`); `flag` findings let the call run and are
   * recorded in its event's `metadata.guard_flags`.
   */
  guards?: readonly Guard[];
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
  const { onDeny, name, when, cost, guards } = options as SudoOptions;
  if (onDeny !== undefined && onDeny !== 'raise' && onDeny !== 'log' && typeof onDeny !== 'function') {
    throw new ConfigurationError(
      `${where}: onDeny ${JSON.stringify(onDeny)} is not valid; use 'raise', 'log' or an approver function.`,
    );
  }
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new ConfigurationError(`${where}: name must be a non-empty string.`);
  }
  if (when !== undefined && typeof when !== 'function') {
    throw new ConfigurationError(
      `${where}: when must be a function such as ({ args }) => args[1] <= 100, got ${typeof when}.`,
    );
  }
  if (cost !== undefined && typeof cost !== 'function') {
    throw new ConfigurationError(
      `${where}: cost must be a function of the call's arguments such as (orderId, amount) => amount, got ${typeof cost}.`,
    );
  }
  if (guards !== undefined) {
    if (!Array.isArray(guards)) {
      throw new ConfigurationError(
        `${where}: guards must be an array of guards such as [promptInjection()].`,
      );
    }
    guards.forEach((guard: unknown, i) => {
      const g = guard as Partial<Guard> | null;
      if (
        typeof g !== 'object' ||
        g === null ||
        typeof g.inspect !== 'function' ||
        typeof g.name !== 'string' ||
        g.name === ''
      ) {
        throw new ConfigurationError(
          `${where}: guards[${i}] is not a guard; a guard has a non-empty name and an inspect(args, ctx) method.`,
        );
      }
    });
  }
}
