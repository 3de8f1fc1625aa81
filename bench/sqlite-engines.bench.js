'use strict';
/**
 * The embedded database engine: better-sqlite3 (what the server uses) against Node's
 * built-in `node:sqlite` (Node 22.13 and later), both running the server's real storage
 * (its repositories, migrations and statements) on a fresh file in one process, so that the
 * only difference is the engine. Measured:
 *
 * - the cost of loading the engine (`require` in a fresh child process, median of 5);
 * - ingest: 200,000 events in batches of 500 through `writer.insert` (the ingest route's
 *   group commit), events/s;
 * - a 30-day stats query and the first audit page over those events, median of 15.
 *
 * Needs Node 22.13 or later (node:sqlite) and better-sqlite3 built for that Node:
 * `scripts/test-all.sh --node 24` builds it, then
 * `~/.cache/agentsudo/node-24/…/bin/node bench/sqlite-engines.bench.js`.
 * On an older Node it says so and leaves the results alone.
 *
 * @example
 * npm run bench -- sqlite-engines
 */
const { execFileSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const { report } = require('./lib/harness');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const BATCH = 500;
const HOUR_US = 3_600_000_000;

let nodeSqlite;
try {
  nodeSqlite = require('node:sqlite');
} catch {
  console.log(
    `\n## sqlite-engines\nnode:sqlite is not in Node ${process.version} (22.13 or later); skipped.`,
  );
  process.exit(0);
}
void nodeSqlite;

const { openStorageOn } = require('../packages/server/dist/storage/open');
const { SqliteDriver } = require('../packages/server/dist/storage/sqlite-driver');
const { NodeSqliteDriver } = require('./lib/node-sqlite-driver');

/** Median ms of a `require` in a fresh process (the engine's share of a cold start). */
function loadMs(specifier) {
  const code = `const t=process.hrtime.bigint();require(${JSON.stringify(specifier)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const runs = Array.from({ length: 5 }, () =>
    Number(execFileSync(process.execPath, ['--no-warnings', '-e', code], { cwd: join(__dirname, '..') })),
  );
  return median(runs);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const agents = ['SupportBot', 'BillingBot', 'OpsBot', 'SearchBot'];
const scopes = ['read:customers', 'read:orders', 'write:refunds', 'send:email', 'delete:users'];

/** `n` events spread over the last 30 days, as the SDK sends them. */
function makeEvents(start, n, now) {
  const span = 30 * 24 * HOUR_US;
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    return {
      eventId: randomUUID(),
      ts: now - span + Math.floor((i / EVENTS) * span),
      agentName: agents[i % agents.length],
      action: i % 20 === 0 ? 'audit_violation' : 'permission_check',
      scope: scopes[i % scopes.length],
      allowed: i % 10 !== 0,
      functionName: 'Service.method',
      sessionId: `s-${i % 1000}`,
      sdk: 'agentsudo-js/0.1.0',
    };
  });
}

async function timeMs(fn, times = 15) {
  const runs = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  return median(runs);
}

async function run(name, makeDriver) {
  const dir = mkdtempSync(join(tmpdir(), 'agentsudo-bench-engines-'));
  try {
    const storage = await openStorageOn(makeDriver(join(dir, 'bench.db')));
    const projectId = 'prj_bench';
    await storage.accounts.createProject({ id: projectId, name: 'bench', createdAt: Date.now() });
    const now = Date.now() * 1000;
    const batches = [];
    for (let i = 0; i < EVENTS; i += BATCH) batches.push(makeEvents(i, BATCH, now));
    const t = performance.now();
    for (const batch of batches) await storage.writer.insert(projectId, batch);
    const ingestMs = performance.now() - t;
    const range = { from: now - 30 * 24 * HOUR_US, to: now + HOUR_US, bucket: 'day' };
    const statsMs = await timeMs(() => storage.stats.summary(projectId, range));
    const pageMs = await timeMs(() => storage.events.list(projectId, {}, { limit: 50 }));
    await storage.close();
    const nsPerOp = (ingestMs * 1e6) / EVENTS;
    return {
      name,
      ops: EVENTS,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      statsMs: +statsMs.toFixed(2),
      firstPageMs: +pageMs.toFixed(2),
      extra: { '30-day stats ms': statsMs.toFixed(2), 'first page ms': pageMs.toFixed(2) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const load = { 'better-sqlite3': loadMs('better-sqlite3'), 'node:sqlite': loadMs('node:sqlite') };
  const rows = [
    await run('better-sqlite3: ingest (events/s)', (f) => new SqliteDriver(f)),
    await run('node:sqlite: ingest (events/s)', (f) => new NodeSqliteDriver(f)),
  ];
  rows[0].extra['load ms'] = load['better-sqlite3'].toFixed(1);
  rows[1].extra['load ms'] = load['node:sqlite'].toFixed(1);
  report('sqlite-engines', rows, {
    events: EVENTS,
    batch: BATCH,
    loadMs: load,
    nodeSqliteIngestRatio: +(rows[0].nsPerOp / rows[1].nsPerOp).toFixed(2),
    note: 'the server storage (openStorageOn) on each engine, one process, one run; ratio = node:sqlite events/s over better-sqlite3 events/s',
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
