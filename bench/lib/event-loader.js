'use strict';
/**
 * Fills an opened agentsudo-server storage with generated events fast, inside the database:
 * PostgreSQL by INSERT … SELECT FROM generate_series, SQLite by a recursive CTE, a million
 * rows per statement, in one transaction on SQLite. Then builds the hourly rollups and the
 * agents table from the events with one GROUP BY each, as ingest would have kept them.
 * Realistic spread: events evenly over `days` days up to `now`, 3 projects, 20 agents,
 * 40 scopes, one event in 50 a session start, 5% of the checks denied (with a reason).
 * Event ids are `b-<n>`, unique per project.
 *
 * @example
 * const { projects } = await loadEvents(storage, driver, { events: 10_000_000, days: 35, now });
 * await fillEvents(driver, { events: 1_000_000, days: 35, now }); // the events alone
 */
const { DAY_US, EventPartitions } = require('../../packages/server/dist/storage/partitions');
const {
  countOf,
  IS_CHECK_SQL,
  OUTCOME_SQL,
  REASON_SQL,
} = require('../../packages/server/dist/storage/outcome-sql');

const HOUR_US = 3_600_000_000;
const CHUNK = 1_000_000;
const PROJECTS = 3;

/** The SQL expressions of one generated event's columns, from its number `n`. */
function columns(start, step) {
  const scope = `CASE (n * 13) % 4 WHEN 0 THEN 'read:' WHEN 1 THEN 'write:' WHEN 2 THEN 'delete:' ELSE 'send:' END || 'thing-' || ((n * 13) % 40)`;
  const session = `n % 50 = 1`;
  const denied = `n % 20 = 0`;
  return {
    project_id: `'prj_bench_' || (n % ${PROJECTS})`,
    event_id: `'b-' || n`,
    // Evenly spread, with a little jitter inside each step so times are not all distinct by n.
    ts: `${start} + n * ${step} + (n * 7919) % ${step}`,
    agent_name: `'Agent-' || ((n * 7) % 20)`,
    action: `CASE WHEN ${session} THEN 'session_start' ELSE 'permission_check' END`,
    scope: `CASE WHEN ${session} THEN NULL ELSE ${scope} END`,
    allowed: `CASE WHEN ${denied} AND NOT (${session}) THEN 0 ELSE 1 END`,
    function_name: `'Service.method'`,
    sdk: `'agentsudo-js/0.1.0'`,
    received_at: `${start} + n * ${step}`,
    reason: `CASE WHEN ${denied} AND NOT (${session}) THEN CASE WHEN n % 60 = 0 THEN 'rate_limit' ELSE 'scope' END END`,
  };
}

async function loadEvents(storage, driver, { events, days, now }) {
  const start = now - days * DAY_US;
  const projects = Array.from({ length: PROJECTS }, (_, i) => `prj_bench_${i}`);
  for (const id of projects) await storage.accounts.createProject({ id, name: id, createdAt: Date.now() });
  if (driver.dialect === 'postgres') {
    const today = Math.floor(now / DAY_US);
    await new EventPartitions(driver).ensureDays(Math.floor(start / DAY_US), today);
  }
  await fillEvents(driver, { events, days, now });
  await buildRollups(driver);
  return { projects };
}

/**
 * Only the events of {@link loadEvents}, into whatever `events` table the database has now
 * (for a benchmark of a migration, say); no projects, partitions or rollups.
 */
async function fillEvents(driver, { events, days, now }) {
  const span = days * DAY_US;
  const cols = columns(now - span, Math.floor(span / events));
  const names = Object.keys(cols).join(', ');
  const values = Object.values(cols).join(', ');
  const chunk = (lo, hi) =>
    driver.dialect === 'postgres'
      ? `INSERT INTO events (${names}) SELECT ${values} FROM generate_series(${lo}::bigint, ${hi - 1}) AS g(n)`
      : `INSERT INTO events (${names}) WITH RECURSIVE g(n) AS (SELECT ${lo} UNION ALL SELECT n + 1 FROM g WHERE n < ${hi - 1}) SELECT ${values} FROM g`;
  const fill = async (executor) => {
    for (let lo = 0; lo < events; lo += CHUNK) await executor.run(chunk(lo, Math.min(events, lo + CHUNK)));
  };
  // One transaction on SQLite (one fsync, one WAL growth); PostgreSQL commits per chunk so
  // a long load does not hold one huge transaction.
  if (driver.dialect === 'sqlite') await driver.transaction(fill);
  else await fill(driver);
}

/** The rollups ingest keeps, rebuilt from all events (rollups.ts's rules, in SQL). */
async function buildRollups(driver) {
  const hour = `ts / ${HOUR_US}`;
  await driver.transaction(async (tx) => {
    await tx.run(`INSERT INTO hourly_agent_counts (project_id, hour, agent_name, allowed_n, denied_n, audit_n)
      SELECT project_id, ${hour}, agent_name, SUM(${countOf('allowed')}), SUM(${countOf('denied')}), SUM(${countOf('audit')})
      FROM events WHERE ${IS_CHECK_SQL} GROUP BY project_id, ${hour}, agent_name`);
    for (const [table, outcome] of [
      ['hourly_denied_scopes', 'denied'],
      ['hourly_audit_scopes', 'audit'],
    ])
      await tx.run(`INSERT INTO ${table} (project_id, hour, scope, n)
        SELECT project_id, ${hour}, scope, COUNT(*) FROM events
        WHERE ${OUTCOME_SQL[outcome]} AND scope IS NOT NULL GROUP BY project_id, ${hour}, scope`);
    await tx.run(`INSERT INTO hourly_denied_reasons (project_id, hour, reason, n)
      SELECT project_id, ${hour}, ${REASON_SQL}, COUNT(*) FROM events
      WHERE ${OUTCOME_SQL.denied} GROUP BY project_id, ${hour}, ${REASON_SQL}`);
    await tx.run(`INSERT INTO agent_scopes (project_id, agent_name, scope, first_seen, last_seen, n, denied_n, audit_n)
      SELECT project_id, agent_name, COALESCE(scope, ''), MIN(ts), MAX(ts), COUNT(*), SUM(${countOf('denied')}), SUM(${countOf('audit')})
      FROM events GROUP BY project_id, agent_name, COALESCE(scope, '')`);
  });
  // What autovacuum would do soon after a bulk load; the planner needs it on both engines.
  await driver.run('ANALYZE');
}

module.exports = { loadEvents, fillEvents };
