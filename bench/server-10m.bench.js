'use strict';
/**
 * agentsudo-server's reads over 10,000,000 stored events (BENCH_EVENTS to change), on
 * SQLite and PostgreSQL (partitioned by day): a 30-day stats query as the /stats route runs
 * it (daily buckets), and the first audit page of 50 events, unfiltered and for one agent.
 * The events are generated inside the database by bench/lib/event-loader.js (35 days, 3
 * projects, 20 agents, 40 scopes, 5% denied), then the database is dropped. Target: every
 * read under 100 ms on both engines.
 *
 * @example
 * npm run bench -- server-10m
 * BENCH_EVENTS=1000000 npm run bench -- server-10m
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const { openStorage, PostgresDriver, SqliteDriver } = require('../packages/server/dist');
const { medianOfRuns, report } = require('./lib/harness');
const { eachBackend } = require('./lib/server-backends');
const { loadEvents } = require('./lib/event-loader');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const DAYS = 35;
const RUNS = 20;
const DAY_US = 24 * 3_600_000_000;
const TARGET_MS = 100;

const time = (name, fn) => medianOfRuns(name, fn, RUNS);

async function suite(label, options) {
  const storage = await openStorage(options);
  const driver = options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db);
  const now = Date.now() * 1000;
  const t0 = performance.now();
  const { projects } = await loadEvents(storage, driver, { events: EVENTS, days: DAYS, now });
  const loadSeconds = (performance.now() - t0) / 1000;
  const [{ n }] = await driver.all('SELECT COUNT(*) AS n FROM events');
  await driver.close();
  console.log(`${label}: loaded ${Number(n).toLocaleString('en-US')} events in ${loadSeconds.toFixed(0)} s`);
  const project = projects[0];
  const rows = [
    await time(`${label}: stats, 30 days, daily buckets`, () =>
      storage.stats.summary(project, { from: now - 30 * DAY_US, to: now, bucket: 'day' }),
    ),
    await time(`${label}: first audit page of 50`, () => storage.events.list(project, {}, { limit: 50 })),
    await time(`${label}: first audit page of 50, one agent`, () =>
      storage.events.list(project, { agent: 'Agent-4' }, { limit: 50 }),
    ),
  ];
  await storage.close();
  return { label, rows, loadSeconds, events: Number(n) };
}

async function main() {
  const results = await eachBackend((b) =>
    suite(b.name, b.db ? { db: b.db } : { databaseUrl: b.databaseUrl }),
  );
  const rows = results.flatMap((r) => r.rows);
  report('server-10m', rows, {
    note: `${EVENTS.toLocaleString('en-US')} events over ${DAYS} days, 3 projects, 20 agents, 40 scopes, 5% denied; reads of one project; median and p95 of ${RUNS} runs after one warm-up; target under ${TARGET_MS} ms`,
    loadSeconds: Object.fromEntries(results.map((r) => [r.label, Math.round(r.loadSeconds)])),
    storedEvents: Object.fromEntries(results.map((r) => [r.label, r.events])),
  });
  const md = [
    `# server-10m`,
    '',
    `${EVENTS.toLocaleString('en-US')} events over ${DAYS} days (3 projects, 20 agents, 40 scopes, 5% denied), generated in the database by bench/lib/event-loader.js; median and p95 of ${RUNS} runs after one warm-up. Target: under ${TARGET_MS} ms.`,
    '',
    '| what | median ms | p95 ms | under target |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.medianMs.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.p95Ms < TARGET_MS ? 'yes' : 'no'} |`,
    ),
    '',
    `Load time: ${results.map((r) => `${r.label} ${Math.round(r.loadSeconds)} s`).join(', ')}.`,
    '',
  ].join('\n');
  writeFileSync(join(__dirname, 'results', 'server-10m.md'), md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
