import { outcomeOf, reasonOf } from '../outcome';
import type { Dialect, SqlExecutor } from './driver';
import { columnArrays, unnestRows } from './postgres-arrays';
import type { EventRecord } from './records';
import { placeholders } from './sql-text';
import { HOUR_US } from './time';

/*
 * The rollups stats read instead of scanning events: hourly counts per agent
 * (hourly_agent_counts), hourly counts of denied and audited scopes (hourly_denied_scopes,
 * hourly_audit_scopes), hourly denials by reason (hourly_denied_reasons), and per agent and scope the first and last time and counts
 * (agent_scopes). The writer keeps them in the ingest transaction; retention deletes them
 * with the events.
 *
 * Hand-written SQL: upserts whose ON CONFLICT clauses add to the stored counts, one per
 * table and group commit. The rows come as a multi-row VALUES on SQLite and as one array
 * per column through unnest(…) on PostgreSQL (postgres-arrays.ts); see event-writer.ts for
 * why the ingest path stays off the builder.
 */

/** One rollup table: its columns (key first), their PostgreSQL types, and how a row adds up. */
interface RollupTable {
  name: string;
  columns: readonly string[];
  types: readonly string[];
  /** The ON CONFLICT clause that adds a new row's counts to the stored one. */
  conflict: string;
}

const AGENT_HOURS: RollupTable = {
  name: 'hourly_agent_counts',
  columns: ['project_id', 'hour', 'agent_name', 'allowed_n', 'denied_n', 'audit_n'],
  types: ['text', 'bigint', 'text', 'bigint', 'bigint', 'bigint'],
  conflict: `(project_id, hour, agent_name) DO UPDATE SET
       allowed_n = hourly_agent_counts.allowed_n + excluded.allowed_n,
       denied_n = hourly_agent_counts.denied_n + excluded.denied_n,
       audit_n = hourly_agent_counts.audit_n + excluded.audit_n`,
};

/** A count per project, hour and one key column (a scope, a reason). */
const hourlyCountTable = (name: string, key: string): RollupTable => ({
  name,
  columns: ['project_id', 'hour', key, 'n'],
  types: ['text', 'bigint', 'text', 'bigint'],
  conflict: `(project_id, hour, ${key}) DO UPDATE SET n = ${name}.n + excluded.n`,
});
const DENIED_SCOPES = hourlyCountTable('hourly_denied_scopes', 'scope');
const AUDIT_SCOPES = hourlyCountTable('hourly_audit_scopes', 'scope');
const DENIED_REASONS = hourlyCountTable('hourly_denied_reasons', 'reason');

const AGENT_SCOPES: RollupTable = {
  name: 'agent_scopes',
  columns: ['project_id', 'agent_name', 'scope', 'first_seen', 'last_seen', 'n', 'denied_n', 'audit_n'],
  types: ['text', 'text', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint'],
  conflict: `(project_id, agent_name, scope) DO UPDATE SET
       first_seen = CASE WHEN excluded.first_seen < agent_scopes.first_seen THEN excluded.first_seen ELSE agent_scopes.first_seen END,
       last_seen = CASE WHEN excluded.last_seen > agent_scopes.last_seen THEN excluded.last_seen ELSE agent_scopes.last_seen END,
       n = agent_scopes.n + excluded.n,
       denied_n = agent_scopes.denied_n + excluded.denied_n,
       audit_n = agent_scopes.audit_n + excluded.audit_n`,
};

const TABLES = [AGENT_HOURS, DENIED_SCOPES, AUDIT_SCOPES, AGENT_SCOPES, DENIED_REASONS] as const;

/**
 * On PostgreSQL, every table's upsert in one statement (one round trip per group commit):
 * data-modifying WITH clauses all run to completion (in the one plan's fixed order, the same in
 * every instance, so rollup rows are still locked in one order), and a table
 * without rows gets empty arrays. A constant text: one array parameter per column whatever the size.
 */
const UNNEST_UPSERTS_SQL = `WITH ${TABLES.map(
  (t, i) =>
    `u${i} AS (INSERT INTO ${t.name} (${t.columns.join(', ')}) ${unnestRows(t.types)} ON CONFLICT ${t.conflict})`,
).join(',\n')}
SELECT 1`;

/**
 * Adds newly stored events, by project, to the hourly and per-agent rollups, each counted
 * by its outcome (`outcomeOf`): an audit-mode violation is neither allowed nor denied. Runs
 * in the transaction that stored them, so stats never count an event twice or miss one.
 *
 * @example
 * ```ts
 * await driver.transaction(async (tx) =>
 *   updateRollups(tx, driver.dialect, new Map([[projectId, await insert(tx)]])),
 * );
 * ```
 */
export async function updateRollups(
  tx: SqlExecutor,
  dialect: Dialect,
  stored: ReadonlyMap<string, readonly EventRecord[]>,
): Promise<void> {
  /** [project, hour, agent, allowed, denied, audit] */
  const agentHours = new Map<string, [string, number, string, number, number, number]>();
  /** [project, hour, scope, n] per outcome that has a top-scopes list. */
  const scopeHours = {
    denied: new Map<string, [string, number, string, number]>(),
    audit: new Map<string, [string, number, string, number]>(),
  };
  /** [project, agent, scope, first, last, n, denied, audit] */
  const agentScopes = new Map<string, [string, string, string, number, number, number, number, number]>();
  /** [project, hour, reason, n] */
  const reasonHours = new Map<string, [string, number, string, number]>();
  const column = { allowed: 3, denied: 4, audit: 5 } as const;
  for (const [projectId, events] of stored) {
    for (const e of events) {
      const hour = Math.floor(e.ts / HOUR_US);
      const outcome = outcomeOf(e.action, e.allowed);
      if (outcome !== 'info') {
        const ah = `${projectId}\u0000${hour}\u0000${e.agentName}`;
        const a = agentHours.get(ah) ?? agentHours.set(ah, [projectId, hour, e.agentName, 0, 0, 0]).get(ah)!;
        a[column[outcome]]++;
        if (outcome !== 'allowed' && e.scope !== undefined) {
          const hs = scopeHours[outcome];
          const key = `${projectId}\u0000${hour}\u0000${e.scope}`;
          const d = hs.get(key) ?? hs.set(key, [projectId, hour, e.scope, 0]).get(key)!;
          d[3]++;
        }
        if (outcome === 'denied') {
          const reason = reasonOf(e.action, e.allowed, e.reason)!;
          const key = `${projectId}\u0000${hour}\u0000${reason}`;
          const r = reasonHours.get(key) ?? reasonHours.set(key, [projectId, hour, reason, 0]).get(key)!;
          r[3]++;
        }
      }
      const scope = e.scope ?? '';
      const as = `${projectId}\u0000${e.agentName}\u0000${scope}`;
      const s =
        agentScopes.get(as) ??
        agentScopes.set(as, [projectId, e.agentName, scope, e.ts, e.ts, 0, 0, 0]).get(as)!;
      s[3] = Math.min(s[3], e.ts);
      s[4] = Math.max(s[4], e.ts);
      s[5]++;
      if (outcome === 'denied') s[6]++;
      if (outcome === 'audit') s[7]++;
    }
  }
  // Sorted keys: concurrent PostgreSQL transactions lock rollup rows in the same order.
  const sorted = <T>(m: Map<string, T>) =>
    [...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, v]) => v);
  const rows = [
    sorted(agentHours),
    sorted(scopeHours.denied),
    sorted(scopeHours.audit),
    sorted(agentScopes),
    sorted(reasonHours),
  ];
  if (dialect === 'postgres') {
    // unnest keeps the array order, so rows are locked in the sorted order above.
    if (rows.some((r) => r.length))
      await tx.run(
        UNNEST_UPSERTS_SQL,
        TABLES.flatMap((t, i) => columnArrays(rows[i], t.columns.length)),
      );
    return;
  }
  for (const [i, table] of TABLES.entries()) {
    if (!rows[i].length) continue;
    await tx.run(
      `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${placeholders(rows[i].length, table.columns.length)}
     ON CONFLICT ${table.conflict}`,
      rows[i].flat(),
    );
  }
}
