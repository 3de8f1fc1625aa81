import { DENIAL_REASONS, type DenialReason } from '@agentsudo/core';
import type { SqlDriver } from './driver';
import { countOf, IS_CHECK_SQL, OUTCOME_SQL, REASON_SQL } from './outcome-sql';
import type { AgentSummary, Bucket, Counts, Stats } from './records';
import { HOUR_US, bucketUs } from './time';

/*
 * Hand-written SQL, not yet moved to the typed query layer: each stats query is a UNION ALL
 * of rollup rows and the raw events of the partial hours at the range's edges, grouped and
 * summed, with the outcome conditions of outcome-sql.ts inlined; the builder would spell
 * the same SQL in more text and no more checks.
 */

/** Rows in each top-scopes list of stats (denied, audited). */
const TOP_SCOPES = 10;

/** One event's outcome as the columns a, d, u (1 or 0), shaped like a rollup row. */
const OUTCOME_COUNTS = `${countOf('allowed')} AS a, ${countOf('denied')} AS d, ${countOf('audit')} AS u`;
/** The same, summed over a group. */
const OUTCOME_SUMS = `SUM(${countOf('allowed')}) AS a, SUM(${countOf('denied')}) AS d, SUM(${countOf('audit')}) AS u`;

/**
 * What a project's agents did: stats over a time range and a summary per agent. Stats read
 * the hourly rollups (see rollups.ts) for whole hours, plus the raw events of the partial
 * hours at the edges of the range.
 *
 * @example
 * ```ts
 * const stats = new EventStats(driver);
 * const s = await stats.summary(projectId, { from, to, bucket: 'hour' });
 * ```
 */
export class EventStats {
  constructor(private readonly driver: SqlDriver) {}

  /**
   * Counts over `[from, to)` (µs): totals, a series of `bucket`s, top scopes, per-agent
   * counts, and denials by reason (overall and per bucket; read only when there are denials).
   */
  async summary(projectId: string, range: { from: number; to: number; bucket: Bucket }): Promise<Stats> {
    const { from, to, bucket } = range;
    const src = rollupRanges(from, to);
    // Stats count checks (decisions), not session lifecycle: a session's start and end
    // would otherwise read as allowed checks and dilute the denial rate.
    const raw = (cols: string, extra = '') =>
      src.edges
        .map(
          () =>
            `UNION ALL SELECT ${cols} FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ${IS_CHECK_SQL}${extra}`,
        )
        .join(' ');
    const edgeParams = src.edges.flatMap(([a, b]) => [projectId, a, b]);
    const rollupParams = [projectId, src.fromHour, src.toHour, ...edgeParams];

    const agentRows = await this.driver.all<CountRow & { agent_name: string }>(
      `SELECT agent_name, SUM(a) AS a, SUM(d) AS d, SUM(u) AS u FROM (
         SELECT agent_name, allowed_n AS a, denied_n AS d, audit_n AS u FROM hourly_agent_counts
           WHERE project_id = ? AND hour >= ? AND hour < ?
         ${raw(`agent_name, ${OUTCOME_COUNTS}`)}) s
       GROUP BY agent_name ORDER BY agent_name`,
      rollupParams,
    );
    const topScopes = (table: string, outcome: 'denied' | 'audit') =>
      this.driver.all<{ scope: string; total: number }>(
        `SELECT scope, SUM(n) AS total FROM (
           SELECT scope, n FROM ${table} WHERE project_id = ? AND hour >= ? AND hour < ?
           ${raw('scope, 1 AS n', ` AND ${OUTCOME_SQL[outcome]} AND scope IS NOT NULL`)}) s
         GROUP BY scope ORDER BY total DESC, scope LIMIT ?`,
        [...rollupParams, TOP_SCOPES],
      );
    const agents = agentRows.map((r) => ({ agentName: r.agent_name, ...countsOf(r) }));
    const totals: Counts = { events: 0, allowed: 0, denied: 0, audit: 0 };
    for (const a of agents) {
      totals.events += a.events;
      totals.allowed += a.allowed;
      totals.denied += a.denied;
      totals.audit += a.audit;
    }
    // A range without denials (or audit) has no top scopes of that kind to look up.
    const deniedRows = totals.denied ? await topScopes('hourly_denied_scopes', 'denied') : [];
    const auditRows = totals.audit ? await topScopes('hourly_audit_scopes', 'audit') : [];
    // Bucket sizes are constants of our own, inlined so both databases divide integers.
    const size = bucketUs(bucket);
    const reasonRows = totals.denied
      ? bucket === 'minute'
        ? await this.driver.all<ReasonRow>(
            `SELECT ts / ${size} AS b, ${REASON_SQL} AS reason, COUNT(*) AS n FROM events
             WHERE project_id = ? AND ts >= ? AND ts < ? AND ${OUTCOME_SQL.denied} GROUP BY 1, 2`,
            [projectId, from, to],
          )
        : await this.driver.all<ReasonRow>(
            `SELECT hour / ${size / HOUR_US} AS b, reason, SUM(n) AS n FROM (
               SELECT hour, reason, n FROM hourly_denied_reasons WHERE project_id = ? AND hour >= ? AND hour < ?
               ${raw(`ts / ${HOUR_US} AS hour, ${REASON_SQL} AS reason, 1 AS n`, ` AND ${OUTCOME_SQL.denied}`)}) s
             GROUP BY 1, 2`,
            rollupParams,
          )
      : [];
    const bucketRows =
      bucket === 'minute'
        ? await this.driver.all<CountRow & { b: number }>(
            `SELECT ts / ${size} AS b, ${OUTCOME_SUMS} FROM events
             WHERE project_id = ? AND ts >= ? AND ts < ? AND ${IS_CHECK_SQL} GROUP BY 1`,
            [projectId, from, to],
          )
        : await this.driver.all<CountRow & { b: number }>(
            `SELECT hour / ${size / HOUR_US} AS b, SUM(a) AS a, SUM(d) AS d, SUM(u) AS u FROM (
               SELECT hour, allowed_n AS a, denied_n AS d, audit_n AS u FROM hourly_agent_counts
                 WHERE project_id = ? AND hour >= ? AND hour < ?
               ${raw(`ts / ${HOUR_US} AS hour, ${OUTCOME_COUNTS}`)}) s
             GROUP BY 1`,
            rollupParams,
          );

    const byBucket = new Map(bucketRows.map((r) => [Number(r.b), r]));
    const reasons = noReasons();
    const reasonsByBucket = new Map<number, Record<DenialReason, number>>();
    for (const r of reasonRows) {
      const reason = r.reason as DenialReason;
      // Ingest stores only DENIAL_REASONS; a row of any other would be left out of the split.
      if (!(reason in reasons)) continue;
      const b = Number(r.b);
      const inBucket = reasonsByBucket.get(b) ?? reasonsByBucket.set(b, noReasons()).get(b)!;
      inBucket[reason] += Number(r.n);
      reasons[reason] += Number(r.n);
    }
    const buckets: Stats['buckets'] = [];
    for (let b = Math.floor(from / size); b * size < to; b++)
      buckets.push({
        start: b * size,
        ...countsOf(byBucket.get(b)),
        reasons: reasonsByBucket.get(b) ?? noReasons(),
      });
    return {
      from,
      to,
      bucket,
      totals,
      activeAgents: agents.filter((a) => a.events > 0).length,
      buckets,
      topDeniedScopes: deniedRows.map((r) => ({ scope: r.scope, denied: Number(r.total) })),
      topAuditScopes: auditRows.map((r) => ({ scope: r.scope, audit: Number(r.total) })),
      reasons,
      agents: agents.sort((x, y) => y.events - x.events || x.agentName.localeCompare(y.agentName)),
    };
  }

  /** Every agent of a project with its scopes, most recently seen first. */
  async agents(projectId: string): Promise<AgentSummary[]> {
    const rows = await this.driver.all<{
      agent_name: string;
      scope: string;
      first_seen: number;
      last_seen: number;
      n: number;
      denied_n: number;
      audit_n: number;
    }>(
      'SELECT agent_name, scope, first_seen, last_seen, n, denied_n, audit_n FROM agent_scopes WHERE project_id = ? ORDER BY agent_name, scope LIMIT 100000',
      [projectId],
    );
    const byAgent = new Map<string, AgentSummary>();
    for (const r of rows) {
      const first = Number(r.first_seen);
      const last = Number(r.last_seen);
      let a = byAgent.get(r.agent_name);
      if (!a) {
        a = {
          agentName: r.agent_name,
          firstSeen: first,
          lastSeen: last,
          events: 0,
          denied: 0,
          audit: 0,
          scopes: [],
        };
        byAgent.set(r.agent_name, a);
      }
      a.firstSeen = Math.min(a.firstSeen, first);
      a.lastSeen = Math.max(a.lastSeen, last);
      a.events += Number(r.n);
      a.denied += Number(r.denied_n);
      a.audit += Number(r.audit_n);
      // '' is where session events (which check no scope) are counted.
      if (r.scope !== '') {
        a.scopes.push({
          scope: r.scope,
          firstSeen: first,
          lastSeen: last,
          events: Number(r.n),
          denied: Number(r.denied_n),
          audit: Number(r.audit_n),
        });
      }
    }
    return [...byAgent.values()].sort((x, y) => y.lastSeen - x.lastSeen);
  }
}

/** Whole hours read from the rollups, partial hours at either edge read from events. */
function rollupRanges(
  from: number,
  to: number,
): { fromHour: number; toHour: number; edges: Array<[number, number]> } {
  const fromHour = Math.ceil(from / HOUR_US);
  const toHour = Math.floor(to / HOUR_US);
  if (fromHour >= toHour) return { fromHour: 0, toHour: 0, edges: [[from, to]] };
  const edges: Array<[number, number]> = [];
  if (fromHour * HOUR_US > from) edges.push([from, fromHour * HOUR_US]);
  if (toHour * HOUR_US < to) edges.push([toHour * HOUR_US, to]);
  return { fromHour, toHour, edges };
}

/** Denials of one bucket (b) and reason. */
interface ReasonRow {
  b: number | string;
  reason: string;
  n: number | string;
}

/** Every denial reason at zero, in DENIAL_REASONS order. */
function noReasons(): Record<DenialReason, number> {
  return Object.fromEntries(DENIAL_REASONS.map((r) => [r, 0])) as Record<DenialReason, number>;
}

/** A row of summed outcomes: allowed (a), denied (d) and audit (u) checks. */
interface CountRow {
  a: number | string | null;
  d: number | string | null;
  u: number | string | null;
}

/** The counts of a row (PostgreSQL sums arrive as strings); no row counts nothing. */
function countsOf(r: CountRow | undefined): Counts {
  const allowed = Number(r?.a ?? 0);
  const denied = Number(r?.d ?? 0);
  const audit = Number(r?.u ?? 0);
  return { events: allowed + denied + audit, allowed, denied, audit };
}
