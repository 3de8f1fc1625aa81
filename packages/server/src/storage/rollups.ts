import { outcomeOf } from '../outcome';
import type { SqlExecutor } from './driver';
import type { EventRecord } from './records';
import { placeholders } from './sql-text';
import { HOUR_US } from './time';

/*
 * The rollups stats read instead of scanning events: hourly counts per agent
 * (hourly_agent_counts), hourly counts of denied and audited scopes (hourly_denied_scopes,
 * hourly_audit_scopes), and per agent and scope the first and last time and counts
 * (agent_scopes). The writer keeps them in the ingest transaction; retention deletes them
 * with the events.
 *
 * Hand-written SQL: multi-row upserts whose ON CONFLICT clauses add to the stored counts,
 * built once per shape; see event-writer.ts for why the ingest path stays off the builder.
 */

/**
 * Adds a batch's newly stored events to the hourly and per-agent rollups, each counted by
 * its outcome (`outcomeOf`): an audit-mode violation is neither allowed nor denied. Runs in
 * the transaction that stored them, so stats never count an event twice or miss one.
 *
 * @example
 * ```ts
 * await driver.transaction(async (tx) => updateRollups(tx, projectId, await insert(tx)));
 * ```
 */
export async function updateRollups(
  tx: SqlExecutor,
  projectId: string,
  events: EventRecord[],
): Promise<void> {
  if (!events.length) return;
  /** [hour, agent, allowed, denied, audit] */
  const agentHours = new Map<string, [number, string, number, number, number]>();
  /** [hour, scope, n] per outcome that has a top-scopes list. */
  const scopeHours = {
    denied: new Map<string, [number, string, number]>(),
    audit: new Map<string, [number, string, number]>(),
  };
  /** [agent, scope, first, last, n, denied, audit] */
  const agentScopes = new Map<string, [string, string, number, number, number, number, number]>();
  const column = { allowed: 2, denied: 3, audit: 4 } as const;
  for (const e of events) {
    const hour = Math.floor(e.ts / HOUR_US);
    const outcome = outcomeOf(e.action, e.allowed);
    if (outcome !== 'info') {
      const ah = `${hour}\u0000${e.agentName}`;
      const a = agentHours.get(ah) ?? agentHours.set(ah, [hour, e.agentName, 0, 0, 0]).get(ah)!;
      a[column[outcome]]++;
      if (outcome !== 'allowed' && e.scope !== undefined) {
        const hs = scopeHours[outcome];
        const key = `${hour}\u0000${e.scope}`;
        const d = hs.get(key) ?? hs.set(key, [hour, e.scope, 0]).get(key)!;
        d[2]++;
      }
    }
    const scope = e.scope ?? '';
    const as = `${e.agentName}\u0000${scope}`;
    const s = agentScopes.get(as) ?? agentScopes.set(as, [e.agentName, scope, e.ts, e.ts, 0, 0, 0]).get(as)!;
    s[2] = Math.min(s[2], e.ts);
    s[3] = Math.max(s[3], e.ts);
    s[4]++;
    if (outcome === 'denied') s[5]++;
    if (outcome === 'audit') s[6]++;
  }
  // Sorted keys: concurrent PostgreSQL transactions lock rollup rows in the same order.
  const sorted = <T>(m: Map<string, T>) =>
    [...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, v]) => v);
  const ahRows = sorted(agentHours);
  if (ahRows.length)
    await tx.run(
      `INSERT INTO hourly_agent_counts (project_id, hour, agent_name, allowed_n, denied_n, audit_n) VALUES ${placeholders(ahRows.length, 6)}
     ON CONFLICT (project_id, hour, agent_name) DO UPDATE SET
       allowed_n = hourly_agent_counts.allowed_n + excluded.allowed_n,
       denied_n = hourly_agent_counts.denied_n + excluded.denied_n,
       audit_n = hourly_agent_counts.audit_n + excluded.audit_n`,
      ahRows.flatMap((r) => [projectId, ...r]),
    );
  for (const [table, rows] of [
    ['hourly_denied_scopes', sorted(scopeHours.denied)],
    ['hourly_audit_scopes', sorted(scopeHours.audit)],
  ] as const) {
    if (!rows.length) continue;
    await tx.run(
      `INSERT INTO ${table} (project_id, hour, scope, n) VALUES ${placeholders(rows.length, 4)}
       ON CONFLICT (project_id, hour, scope) DO UPDATE SET n = ${table}.n + excluded.n`,
      rows.flatMap((r) => [projectId, ...r]),
    );
  }
  const asRows = sorted(agentScopes);
  await tx.run(
    `INSERT INTO agent_scopes (project_id, agent_name, scope, first_seen, last_seen, n, denied_n, audit_n) VALUES ${placeholders(asRows.length, 8)}
     ON CONFLICT (project_id, agent_name, scope) DO UPDATE SET
       first_seen = CASE WHEN excluded.first_seen < agent_scopes.first_seen THEN excluded.first_seen ELSE agent_scopes.first_seen END,
       last_seen = CASE WHEN excluded.last_seen > agent_scopes.last_seen THEN excluded.last_seen ELSE agent_scopes.last_seen END,
       n = agent_scopes.n + excluded.n,
       denied_n = agent_scopes.denied_n + excluded.denied_n,
       audit_n = agent_scopes.audit_n + excluded.audit_n`,
    asRows.flatMap((r) => [projectId, ...r]),
  );
}
