import type { DenialReason } from '@agentsudo/core';

/**
 * What an event means to a reader, the one classification the dashboard colours by and
 * the API filters by (`?outcome=`): allowed green, denied red, audit amber, info neutral.
 *
 * @example
 * ```ts
 * const o: Outcome = outcomeOf('permission_check', false); // 'denied'
 * ```
 */
export type Outcome = 'allowed' | 'denied' | 'audit' | 'info';

/**
 * Every outcome, in the order the dashboard lists them.
 *
 * @example
 * ```ts
 * OUTCOMES.includes('audit'); // true
 * ```
 */
export const OUTCOMES: readonly Outcome[] = ['allowed', 'denied', 'audit', 'info'];

/**
 * Session start and end: lifecycle, not decisions. They are `info` (see {@link INFO_ACTIONS}).
 *
 * @example
 * ```ts
 * LIFECYCLE_ACTIONS.includes('session_end'); // true
 * ```
 */
export const LIFECYCLE_ACTIONS: readonly string[] = ['session_start', 'session_end'];

/**
 * Actions that show in the feed and the audit log but are not decisions: session start and
 * end, and an approval being asked for (its decision comes as a later event). They are
 * `info`, and stats leave them out.
 *
 * @example
 * ```ts
 * INFO_ACTIONS.includes('approval_requested'); // true
 * ```
 */
export const INFO_ACTIONS: readonly string[] = [...LIFECYCLE_ACTIONS, 'approval_requested'];

/**
 * Actions that are denials whatever their `allowed` says: an approval that ran out of time
 * refused the call it was asked for.
 *
 * @example
 * ```ts
 * DENIAL_ACTIONS.includes('approval_expired'); // true
 * ```
 */
export const DENIAL_ACTIONS: readonly string[] = ['approval_expired'];

/**
 * The reason a denial reads as when its event carries none: older SDKs and the Python SDK
 * only ever refused for a missing scope. Derived when read, never stored.
 *
 * @example
 * ```ts
 * reasonOf('permission_check', false, undefined) === DEFAULT_DENIAL_REASON; // true
 * ```
 */
export const DEFAULT_DENIAL_REASON: DenialReason = 'scope';

/**
 * The action of an audit-mode violation: the call ran, but would have been denied.
 *
 * @example
 * ```ts
 * event.action === AUDIT_ACTION; // amber in the dashboard
 * ```
 */
export const AUDIT_ACTION = 'audit_violation';

/**
 * The outcome of one event. An audit-mode violation ran the call but would have been
 * denied, so it is neither plainly allowed nor denied. A refusal for an expired session is
 * a denial like any other; an expired approval is a denial even if sent as allowed; an
 * approval being asked for is `info`.
 *
 * @example
 * ```ts
 * outcomeOf('audit_violation', true); // 'audit'
 * outcomeOf('session_expired', false); // 'denied'
 * outcomeOf('approval_requested', false); // 'info'
 * ```
 */
export function outcomeOf(action: string, allowed: boolean): Outcome {
  if (action === AUDIT_ACTION) return 'audit';
  if (INFO_ACTIONS.includes(action)) return 'info';
  if (DENIAL_ACTIONS.includes(action)) return 'denied';
  return allowed ? 'allowed' : 'denied';
}

/**
 * Why an event's call was refused, as every reader shows and counts it: the reason the
 * event carries, else {@link DEFAULT_DENIAL_REASON} for a denial, else none.
 *
 * @example
 * ```ts
 * reasonOf('permission_check', false, undefined); // 'scope' (an older SDK's denial)
 * reasonOf('permission_check', false, 'budget'); // 'budget'
 * reasonOf('permission_check', true, undefined); // undefined
 * ```
 */
export function reasonOf(
  action: string,
  allowed: boolean,
  reason: DenialReason | undefined,
): DenialReason | undefined {
  if (reason !== undefined) return reason;
  return outcomeOf(action, allowed) === 'denied' ? DEFAULT_DENIAL_REASON : undefined;
}
