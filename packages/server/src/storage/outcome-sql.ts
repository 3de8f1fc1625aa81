import { AUDIT_ACTION, LIFECYCLE_ACTIONS, type Outcome } from '../outcome';

/** The lifecycle actions as a SQL list; they are our own constants, never user input. */
const LIFECYCLE_SQL = LIFECYCLE_ACTIONS.map((a) => `'${a}'`).join(', ');

/**
 * `outcomeOf` as SQL conditions over the `events` columns `action` and `allowed`: the
 * classification the dashboard colours by, written once for filters, stats and the
 * migrations that rebuild rollups, so none of them spells out an action of its own.
 *
 * @example
 * ```ts
 * `SELECT COUNT(*) FROM events WHERE project_id = ? AND ${OUTCOME_SQL.audit}`;
 * ```
 */
export const OUTCOME_SQL: Readonly<Record<Outcome, string>> = {
  allowed: `(allowed = 1 AND action NOT IN ('${AUDIT_ACTION}', ${LIFECYCLE_SQL}))`,
  denied: `(allowed = 0 AND action NOT IN ('${AUDIT_ACTION}', ${LIFECYCLE_SQL}))`,
  audit: `(action = '${AUDIT_ACTION}')`,
  info: `(action IN (${LIFECYCLE_SQL}))`,
};

/**
 * Events that are checks (decisions): every outcome but `info`. Stats count only these,
 * since a session's start and end would otherwise read as allowed checks.
 *
 * @example
 * ```ts
 * `SELECT COUNT(*) FROM events WHERE project_id = ? AND ${IS_CHECK_SQL}`;
 * ```
 */
export const IS_CHECK_SQL = `(action NOT IN (${LIFECYCLE_SQL}))`;

/**
 * A SQL expression that is 1 for an event of `outcome` and 0 otherwise, to be summed.
 *
 * @example
 * ```ts
 * `SELECT SUM(${countOf('denied')}) FROM events WHERE project_id = ?`;
 * ```
 */
export function countOf(outcome: Outcome): string {
  return `CASE WHEN ${OUTCOME_SQL[outcome]} THEN 1 ELSE 0 END`;
}
