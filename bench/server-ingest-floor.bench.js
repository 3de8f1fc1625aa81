'use strict';
/**
 * The least CPU ingest can cost on this machine, part by part, and the most events per
 * second that leaves its cores: what the server-ingest targets (SQLite 100,000 events/s,
 * PostgreSQL 60,000) are measured against. Each part is the cheapest form of one thing any
 * ingest of these events must do, measured alone:
 * - the load generator: server-ingest's own load (batches of 100 from 8 kept-alive
 *   connections), its CPU per event, against
 * - a bare HTTP server (bench/lib/bare-ingest-server.js) that only reads and JSON.parses
 *   each body and answers: no key, no validation, no storage;
 * - storing the events: pre-built rows in transactions of 500 into the server's own events
 *   table (migrated as the server migrates it, so with its indexes), deduplicated and
 *   learning each stored seq as the writer does, with no rollups, no notification and no
 *   HTTP: SQLite through better-sqlite3 in this process, PostgreSQL through node-postgres
 *   (this process's CPU, building the array parameters and reading the answer) and the
 *   cluster's CPU (read from /proc: PostgreSQL must run on this machine).
 * The sum is a floor: the real server does all of this and more (keys, validation, rollups,
 * live feeds). The best case on the machine's cores is cores / sum; on SQLite the HTTP side
 * and the database share one thread, so one core / (HTTP + SQLite) bounds it too.
 *
 * @example
 * npm run bench -- server-ingest-floor
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- server-ingest-floor
 */
const http = require('node:http');
const { cpus } = require('node:os');
const Database = require('better-sqlite3');
const { Client } = require('pg');
const { openStorage } = require('../packages/server/dist');
const { EVENT_COLUMNS, EVENT_TYPES } = require('../packages/server/dist/storage/event-columns');
const { columnArrays, unnestRows } = require('../packages/server/dist/storage/postgres-arrays');
const { batchFactory, eventRows } = require('./lib/event-batches');
const { report } = require('./lib/harness');
const { loadAverage } = require('./lib/machine-load');
const { driveIngest } = require('./lib/ingest-load');
const { postgresCpu } = require('./lib/postgres-cpu');
const { eachBackend } = require('./lib/server-backends');
const { cpuSeconds, startServer, stopServer } = require('./lib/server-process');

const PROJECT = 'prj_bench_floor';
const GROUP = 500;
const GROUPS = Number(process.env.BENCH_GROUPS ?? 200);
const WARMUP_GROUPS = 20;
const TARGETS = { SQLite: 100_000, PostgreSQL: 60_000 };

/** server-ingest's load against the bare server: CPU µs per event of each side. */
async function httpFloor() {
  const { child, url } = await startServer([], {}, { entry: require.resolve('./lib/bare-ingest-server') });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let serverCpu0 = 0;
  try {
    const load = await driveIngest({
      agent,
      url,
      key: 'none',
      makeBatch: batchFactory(100),
      concurrency: 8,
      warmupMs: 1000,
      durationMs: Number(process.env.BENCH_DURATION_MS ?? 5000),
      onMeasureStart: () => (serverCpu0 = cpuSeconds(child.pid)),
    });
    const serverCpu = cpuSeconds(child.pid) - serverCpu0;
    return {
      events: load.accepted,
      eventsPerSec: (load.accepted * 1e9) / load.ns,
      loadUs: (load.clientCpuSeconds * 1e6) / load.accepted,
      httpUs: (serverCpu * 1e6) / load.accepted,
    };
  } finally {
    agent.destroy();
    await stopServer(child);
  }
}

/**
 * Groups of rows as the writer builds them from server-ingest's events: 4 agents, 5 scopes,
 * and ids as the SDK makes them (UUID v7, time first), each group a millisecond after the
 * last. (Ids all of one millisecond would be random to the unique index: 2.5× the cost.)
 */
function groupsOfRows(count) {
  const t = Date.now();
  return Array.from({ length: count }, (_, g) => eventRows(PROJECT, GROUP, t + g));
}

function placeholders(rows, columns) {
  const row = `(${Array(columns).fill('?').join(', ')})`;
  return Array(rows).fill(row).join(', ');
}

/**
 * SQLite: what storing costs this process, µs per event, as the writer stores (no RETURNING:
 * the seqs end at the last rowid) and as it stored before (RETURNING seq, event_id), the two
 * forms taking turns group by group on the same table.
 */
async function sqliteFloor(file) {
  const storage = await openStorage({ db: file });
  await storage.accounts.createProject({ id: PROJECT, name: 'bench', createdAt: Date.now() });
  await storage.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  try {
    // 500 rows × 17 columns stay under SQLite's 32,766 bound parameters, as the writer's chunks do.
    const sql = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${placeholders(GROUP, EVENT_COLUMNS.length)}
       ON CONFLICT (project_id, event_id) DO NOTHING`;
    const insert = db.prepare(sql);
    const insertReturning = db.prepare(`${sql} RETURNING seq, event_id`);
    const last = db.prepare('SELECT last_insert_rowid() AS last').pluck();
    // better-sqlite3 takes neither booleans nor undefined (the driver's bind() does this too).
    const bind = (rows) => rows.flat().map((v) => (typeof v === 'boolean' ? Number(v) : (v ?? null)));
    const forms = {
      now: (rows) => {
        const stored = insert.run(bind(rows)).changes;
        last.get();
        return stored;
      },
      returning: (rows) => insertReturning.all(bind(rows)).length,
    };
    const store = (form, rows) => {
      db.exec('BEGIN IMMEDIATE');
      const stored = form(rows);
      db.exec('COMMIT');
      return stored;
    };
    for (const [g, rows] of groupsOfRows(WARMUP_GROUPS).entries())
      store(g % 2 ? forms.returning : forms.now, rows);
    const totals = { now: { us: 0, stored: 0 }, returning: { us: 0, stored: 0 } };
    for (const [g, rows] of groupsOfRows(GROUPS).entries()) {
      const name = g % 2 ? 'returning' : 'now';
      const cpu = process.cpuUsage();
      totals[name].stored += store(forms[name], rows);
      const used = process.cpuUsage(cpu);
      totals[name].us += used.user + used.system;
    }
    const stored = totals.now.stored + totals.returning.stored;
    if (stored !== GROUP * GROUPS) throw new Error(`stored ${stored} of ${GROUP * GROUPS}`);
    return {
      dbUs: totals.now.us / totals.now.stored,
      returningUs: totals.returning.us / totals.returning.stored,
    };
  } finally {
    db.close();
  }
}

/** PostgreSQL: what storing costs this process and the cluster, µs per event. */
async function postgresFloor(databaseUrl, adminUrl) {
  const cluster = await postgresCpu(adminUrl);
  if (!cluster)
    throw new Error('server-ingest-floor reads PostgreSQL CPU from /proc: run PostgreSQL on this machine.');
  const storage = await openStorage({ databaseUrl });
  await storage.accounts.createProject({ id: PROJECT, name: 'bench', createdAt: Date.now() });
  await storage.close();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let i = 0;
    const insert = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) ${unnestRows(EVENT_TYPES)}
      ON CONFLICT DO NOTHING RETURNING seq, event_id`.replace(/\?/g, () => `$${++i}`);
    const store = async (rows) => {
      await client.query('BEGIN');
      const result = await client.query(insert, columnArrays(rows, EVENT_COLUMNS.length));
      await client.query('COMMIT');
      return result.rows.length;
    };
    for (const rows of groupsOfRows(WARMUP_GROUPS)) await store(rows);
    const groups = groupsOfRows(GROUPS);
    const cpu = process.cpuUsage();
    const pg0 = cluster.seconds();
    let stored = 0;
    for (const rows of groups) stored += await store(rows);
    const used = process.cpuUsage(cpu);
    const pgSeconds = cluster.seconds() - pg0;
    if (stored !== GROUP * GROUPS) throw new Error(`stored ${stored} of ${GROUP * GROUPS}`);
    return { clientUs: (used.user + used.system) / stored, dbUs: (pgSeconds * 1e6) / stored };
  } finally {
    await client.end();
  }
}

const us = (n) => `${n.toFixed(1)} µs`;
const perSec = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  const cores = cpus().length;
  const wire = await httpFloor();
  const engines = await eachBackend(async (b) =>
    b.db
      ? { name: 'SQLite', ...(await sqliteFloor(b.db)), clientUs: 0 }
      : { name: 'PostgreSQL', ...(await postgresFloor(b.databaseUrl, b.adminUrl)) },
  );
  const rows = [
    {
      name: 'load generator (server-ingest load), per event',
      ops: wire.events,
      nsPerOp: wire.loadUs * 1000,
      opsPerSec: 1e6 / wire.loadUs,
      extra: {
        'CPU per event': us(wire.loadUs),
        note: `${perSec(wire.eventsPerSec)} events/s against the bare server`,
      },
    },
    {
      name: 'bare HTTP server: read + JSON.parse, per event',
      ops: wire.events,
      nsPerOp: wire.httpUs * 1000,
      opsPerSec: 1e6 / wire.httpUs,
      extra: { 'CPU per event': us(wire.httpUs), note: 'no key, validation or storage' },
    },
  ];
  const summary = {};
  for (const e of engines) {
    const storeUs = e.dbUs + e.clientUs;
    const sumUs = wire.loadUs + wire.httpUs + storeUs;
    const onCores = (cores * 1e6) / sumUs;
    // SQLite runs in the server's thread, beside its HTTP work.
    const oneThread = e.name === 'SQLite' ? 1e6 / (wire.httpUs + storeUs) : Infinity;
    const best = Math.min(onCores, oneThread);
    summary[e.name] = {
      storeDbUs: e.dbUs,
      ...(e.returningUs !== undefined && { storeWithReturningUs: e.returningUs }),
      storeClientUs: e.clientUs,
      floorUs: sumUs,
      bestEventsPerSec: best,
      targetEventsPerSec: TARGETS[e.name],
    };
    rows.push({
      name: `${e.name}: store only, per event`,
      ops: GROUP * GROUPS,
      nsPerOp: storeUs * 1000,
      opsPerSec: 1e6 / storeUs,
      extra: {
        'CPU per event': us(storeUs),
        note:
          e.name === 'SQLite'
            ? `better-sqlite3, this thread; with RETURNING seq (the writer before) ${us(e.returningUs)}, ` +
              `${(e.returningUs / e.dbUs).toFixed(2)}× (groups alternating)`
            : `database ${us(e.dbUs)} + node-postgres ${us(e.clientUs)}`,
      },
    });
    rows.push({
      name: `${e.name}: floor, all parts`,
      ops: GROUP * GROUPS,
      nsPerOp: sumUs * 1000,
      opsPerSec: best,
      extra: {
        'CPU per event': us(sumUs),
        note:
          `at most ${perSec(best)} events/s on ${cores} cores` +
          (e.name === 'SQLite' ? ` (one thread: ${perSec(oneThread)})` : '') +
          `; target ${perSec(TARGETS[e.name])}`,
      },
    });
  }
  report('server-ingest-floor', rows, {
    cores,
    floors: summary,
    note: `load: batches of 100 over 8 kept-alive connections against a server that only parses them; store: ${GROUPS} transactions of ${GROUP} pre-built events into the migrated events table (its indexes, ON CONFLICT; SQLite without RETURNING, as the writer, and with it in alternate groups), no rollups or notifications; best case = min(cores / sum of CPU per event${engines.some((e) => e.name === 'SQLite') ? ', for SQLite also one thread / (HTTP + store)' : ''}); load average at the end ${loadAverage().join(' ')}`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
