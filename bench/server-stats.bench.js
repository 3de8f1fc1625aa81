'use strict';
/**
 * Read-side speed of agentsudo-server's storage over 1,000,000 stored events: stats
 * (totals, denial rate, active agents, buckets, top denied scopes, per-agent breakdown)
 * over several ranges, the first page of the events listing, and the agents summary.
 * The events are bulk-loaded through the storage's own insert path (batches of 5,000).
 * SQLite always; PostgreSQL when DATABASE_URL (or AGENTSUDO_TEST_DATABASE_URL) is set.
 *
 * @example
 * npm run bench -- server-stats
 * BENCH_EVENTS=200000 npm run bench -- server-stats
 */
const { randomBytes } = require('node:crypto');
const { newEventId } = require('../packages/core/dist');
const { performance } = require('node:perf_hooks');
const { openStorage } = require('../packages/server/dist');
const { medianOfRuns, report } = require('./lib/harness');
const { eachBackend } = require('./lib/server-backends');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const LOAD_BATCH = 5000;
const RUNS = 20;
const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

async function load(storage, projectId, now) {
  const agents = Array.from({ length: 20 }, (_, i) => `Agent-${i}`);
  const scopes = Array.from(
    { length: 40 },
    (_, i) => `${['read', 'write', 'delete', 'send'][i % 4]}:thing-${i}`,
  );
  const span = 30 * DAY_US;
  const started = performance.now();
  for (let done = 0; done < EVENTS; done += LOAD_BATCH) {
    const batch = [];
    for (let i = 0; i < LOAD_BATCH && done + i < EVENTS; i++) {
      const n = done + i;
      // Spread evenly over the last 30 days, oldest first, as a steady stream would arrive.
      const ts = now - span + Math.floor((n / EVENTS) * span);
      const agent = agents[n % agents.length];
      batch.push(
        n % 50 === 0
          ? {
              eventId: newEventId(Math.floor(ts / 1000)),
              ts,
              agentName: agent,
              action: 'session_start',
              allowed: true,
            }
          : {
              eventId: newEventId(Math.floor(ts / 1000)),
              ts,
              agentName: agent,
              action: 'permission_check',
              scope: scopes[(n * 7) % scopes.length],
              allowed: n % 8 !== 0,
              functionName: 'Service.method',
              sdk: 'agentsudo-js/0.1.0',
            },
      );
    }
    await storage.writer.insert(projectId, batch);
  }
  return (EVENTS / (performance.now() - started)) * 1000;
}

const time = (name, fn) => medianOfRuns(name, fn, RUNS);

async function suite(label, storageOptions) {
  const storage = await openStorage(storageOptions);
  const projectId = `prj_${randomBytes(8).toString('hex')}`;
  await storage.accounts.createProject({ id: projectId, name: 'bench', createdAt: Date.now() });
  const now = Date.now() * 1000;
  const loadRate = await load(storage, projectId, now);
  if (storageOptions.databaseUrl) {
    // What autovacuum does within a minute of a bulk load; without fresh statistics the
    // planner reads a just-loaded table as tiny and picks a sort over an index walk.
    const { Client } = require('pg');
    const client = new Client({ connectionString: storageOptions.databaseUrl });
    await client.connect();
    await client.query('ANALYZE');
    await client.end();
  }
  console.log(
    `${label}: loaded ${EVENTS.toLocaleString('en-US')} events at ${Math.round(loadRate).toLocaleString('en-US')} events/s`,
  );
  const rows = [];
  const stats = (from, to, bucket) => () => storage.stats.summary(projectId, { from, to, bucket });
  rows.push(await time(`${label}: stats, all 30 days, daily buckets`, stats(now - 30 * DAY_US, now, 'day')));
  rows.push(
    await time(`${label}: stats, 7 days (unaligned), hourly`, stats(now - 7 * DAY_US - 12_345, now, 'hour')),
  );
  rows.push(await time(`${label}: stats, last 24 h, hourly`, stats(now - DAY_US, now, 'hour')));
  rows.push(await time(`${label}: stats, last hour, per minute`, stats(now - HOUR_US, now, 'minute')));
  rows.push(
    await time(`${label}: events, first page of 100`, () =>
      storage.events.list(projectId, {}, { limit: 100 }),
    ),
  );
  rows.push(
    await time(`${label}: events, one agent's denials, 100`, () =>
      storage.events.list(projectId, { agent: 'Agent-4', allowed: false }, { limit: 100 }),
    ),
  );
  rows.push(await time(`${label}: agents summary`, () => storage.stats.agents(projectId)));
  await storage.close();
  return { name: label, rows, loadRate };
}

async function main() {
  const results = await eachBackend((b) =>
    suite(b.name, b.db ? { db: b.db } : { databaseUrl: b.databaseUrl }),
  );
  report(
    'server-stats',
    results.flatMap((r) => r.rows),
    {
      note: `${EVENTS.toLocaleString('en-US')} events over 30 days, 20 agents, 40 scopes; median and p95 of ${RUNS} runs after one warm-up`,
      bulkLoadEventsPerSec: Object.fromEntries(results.map((r) => [r.name, Math.round(r.loadRate)])),
    },
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
