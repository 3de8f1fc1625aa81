import { AUDIT_ACTION, DEFAULT_DENIAL_REASON, DENIAL_ACTIONS, INFO_ACTIONS, type Outcome } from '../outcome';

/** Action lists as SQL; they are our own constants, never user input. */
const sqlList = (actions: readonly string[]) => actions.map((a) => `'${a}'`).join(', ');
const INFO_SQL = sqlList(INFO_ACTIONS);
const DENIAL_SQL = sqlList(DENIAL_ACTIONS);
const NOT_DECISION = `action NOT IN ('${AUDIT_ACTION}', ${INFO_SQL})`;

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
  allowed: `(allowed = 1 AND ${NOT_DECISION} AND action NOT IN (${DENIAL_SQL}))`,
  denied: `((allowed = 0 OR action IN (${DENIAL_SQL})) AND ${NOT_DECISION})`,
  audit: `(action = '${AUDIT_ACTION}')`,
  info: `(action IN (${INFO_SQL}))`,
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
export const IS_CHECK_SQL = `(action NOT IN (${INFO_SQL}))`;

/**
 * `reasonOf` as a SQL expression over `events`: the stored reason, else the default reason
 * for a denial, else NULL. Denials stored without a reason (older SDKs, the Python SDK) keep
 * NULL in the table and read as `scope` through this.
 *
 * @example
 * ```ts
 * `SELECT ${REASON_SQL} AS reason, COUNT(*) FROM events WHERE ${OUTCOME_SQL.denied} GROUP BY 1`;
 * ```
 */
export const REASON_SQL = `COALESCE(reason, CASE WHEN ${OUTCOME_SQL.denied} THEN '${DEFAULT_DENIAL_REASON}' END)`;

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
