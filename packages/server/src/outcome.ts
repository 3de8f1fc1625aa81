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
 * Session start and end: lifecycle, not decisions. They are `info`, and stats leave them out.
 *
 * @example
 * ```ts
 * LIFECYCLE_ACTIONS.includes('session_end'); // true
 * ```
 */
export const LIFECYCLE_ACTIONS: readonly string[] = ['session_start', 'session_end'];

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
 * a denial like any other.
 *
 * @example
 * ```ts
 * outcomeOf('audit_violation', true); // 'audit'
 * outcomeOf('session_expired', false); // 'denied'
 * ```
 */
export function outcomeOf(action: string, allowed: boolean): Outcome {
  if (action === AUDIT_ACTION) return 'audit';
  if (LIFECYCLE_ACTIONS.includes(action)) return 'info';
  return allowed ? 'allowed' : 'denied';
}
