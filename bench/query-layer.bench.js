'use strict';
/**
 * What the typed query layer (Kysely compiling, our drivers running) costs against the
 * hand-written SQL strings the storage uses today, on the three paths that matter:
 *
 * - ingest: one INSERT of a 100-event batch, ON CONFLICT DO NOTHING RETURNING seq, event_id;
 * - key lookup by hash: the per-request hot path;
 * - the first audit page: 100 events (plus one to know there is more), newest first;
 * - a filtered audit page: the same, for one agent, a scope pattern and denials only, as
 *   storage/event-queries.ts writes it (a LIKE … ESCAPE and the outcome condition of
 *   storage/outcome-sql.ts as sql fragments inside the builder's query).
 *
 * Each path is measured twice per engine, its cases in turns (so load from elsewhere falls on
 * all of them alike): building the statement only (CPU: the hand string
 * with its parameters vs Kysely building and compiling the query on every call, and Kysely
 * compiled once per shape with only the parameters changing), then end to end through the
 * driver against a migrated database. The hand-written statements are written as
 * the event writer (storage/event-writer.ts) writes them. SQLite always; PostgreSQL when DATABASE_URL (or
 * AGENTSUDO_TEST_DATABASE_URL) names a server this benchmark may create a database on;
 * `npm run bench -- query-layer` starts a throwaway one when Debian's PostgreSQL is installed.
 *
 * @example
 * npm run bench -- query-layer
 * BENCH_MS=500 node bench/query-layer.bench.js   # shorter cases
 */
const { randomUUID } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const { measure, report } = require('./lib/harness');
const { eachBackend } = require('./lib/server-backends');
const server = require('../packages/server/dist');
const {
  queryBuilder,
  fetchAll,
  fetchFirst,
  reusableQuery,
} = require('../packages/server/dist/storage/query-layer');

const MS = Number(process.env.BENCH_MS ?? 1000);
/** Each case's time is cut in this many slices, taken in turns with the other cases of its path. */
const ROUNDS = 5;
const BATCH = 100;
const PAGE = 100;
const KEYS = 1000;
const STORED_EVENTS = 20_000;
const PROJECT = 'prj_bench';

// --- The hand-written statements, as the storage builds them ----------------------------
// No conflict target: on PostgreSQL event ids are unique per day partition, by an index no
// target on `events` can name (storage/partitions.ts).

// The writer's own column list and row values (storage/event-columns.ts), so the hand
// statements measured here are the ones ingest sends.
const { EVENT_COLUMNS, eventRow } = require('../packages/server/dist/storage/event-columns');
const insertSqlCache = new Map();
function handInsertSql(rows) {
  let sql = insertSqlCache.get(rows);
  if (sql === undefined) {
    const row = `(${EVENT_COLUMNS.map(() => '?').join(', ')})`;
    sql = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${new Array(rows).fill(row).join(', ')}
      ON CONFLICT DO NOTHING RETURNING seq, event_id`;
    insertSqlCache.set(rows, sql);
  }
  return sql;
}
function handInsert(records, receivedAt) {
  const params = [];
  for (const e of records) params.push(...eventRow(PROJECT, e, receivedAt));
  return { sql: handInsertSql(records.length), params };
}
const HAND_KEY_SQL = 'SELECT * FROM api_keys WHERE key_hash = ? ORDER BY created_at';
const handKey = (hash) => ({ sql: HAND_KEY_SQL, params: [hash] });
const handPage = () => ({
  sql: `SELECT * FROM events WHERE ${['project_id = ?'].join(' AND ')} ORDER BY ts DESC, seq DESC LIMIT ?`,
  params: [PROJECT, PAGE + 1],
});

// The filtered page as the hand-written storage built it: conditions joined in order,
// values as parameters.
const { OUTCOME_SQL } = require('../packages/server/dist/storage/outcome-sql');
const { escapeLike } = require('../packages/server/dist/storage/sql-text');
const FILTER = { agent: 'SupportBot', scope: 'read:*', outcome: 'denied' };
function handFilteredPage(f) {
  const parts = ['project_id = ?', 'agent_name = ?', "scope LIKE ? ESCAPE '\\'", OUTCOME_SQL[f.outcome]];
  const params = [PROJECT, f.agent, escapeLike(f.scope).replace(/\*/g, '%')];
  return {
    sql: `SELECT * FROM events WHERE ${parts.join(' AND ')} ORDER BY ts DESC, seq DESC LIMIT ?`,
    params: [...params, PAGE + 1],
  };
}

// --- The same statements through the query layer -----------------------------------------

function row(e, receivedAt) {
  const values = eventRow(PROJECT, e, receivedAt);
  return Object.fromEntries(EVENT_COLUMNS.map((column, i) => [column, values[i]]));
}
const typedInsert = (db, records, receivedAt) =>
  db
    .insertInto('events')
    .values(records.map((e) => row(e, receivedAt)))
    .onConflict((oc) => oc.doNothing())
    .returning(['seq', 'event_id']);
const typedKey = (db, hash) =>
  db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).orderBy('created_at');

// The storage's own filter (storage/event-queries.ts), so the builder measured is the one
// listings run.
const { whereFilter } = require('../packages/server/dist/storage/event-queries');
const typedFilteredPage = (db, f) =>
  whereFilter(db.selectFrom('events').selectAll(), PROJECT, f)
    .orderBy('ts', 'desc')
    .orderBy('seq', 'desc')
    .limit(PAGE + 1);
const typedPage = (db) => typedFilteredPage(db, {});

/**
 * Compiled once per shape (per batch size), then only the parameters change: what a
 * repository can do for a fixed-shape hot statement. Kysely's compiled parameters are in
 * the order of the values, so a fresh batch's parameters are laid out as the hand path does.
 */
function compiledOnce(db) {
  const shapes = new Map();
  const sample = batch(BATCH);
  return {
    insert(records, receivedAt) {
      let sql = shapes.get(records.length);
      if (sql === undefined) {
        sql = typedInsert(db, sample.slice(0, records.length), 0).compile().sql;
        shapes.set(records.length, sql);
      }
      return { sql, params: handInsert(records, receivedAt).params };
    },
  };
}

// --- Data ----------------------------------------------------------------------------------

const AGENTS = ['SupportBot', 'BillingBot', 'OpsBot', 'SearchBot'];
const SCOPES = ['read:customers', 'read:orders', 'write:refunds', 'send:email', 'delete:users'];
let clock = Date.UTC(2026, 2, 1) * 1000;
function batch(n) {
  return Array.from({ length: n }, (_, i) => ({
    eventId: randomUUID(),
    ts: (clock += 7),
    agentName: AGENTS[i % AGENTS.length],
    action: 'permission_check',
    scope: SCOPES[i % SCOPES.length],
    allowed: i % 10 !== 0,
    functionName: 'Service.method',
    metadata: i % 3 === 0 ? { team: 'billing' } : undefined,
    sdk: 'agentsudo-js/0.1.0',
  }));
}
const hashes = Array.from({ length: KEYS }, (_, i) => `hash-${i}-${randomUUID()}`);

/** Like the harness's measure, for work that awaits: runs fn one call after another. */
async function measureAsync(name, fn, { ms, warmup }) {
  const warmEnd = performance.now() + warmup;
  while (performance.now() < warmEnd) await fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    await fn();
    ops++;
  }
  return { name, ops, ns: Number(process.hrtime.bigint() - start) };
}

/**
 * Measures the cases of one path in turns (ROUNDS slices each), so a burst of load from
 * elsewhere on the machine falls on all of them alike; the first case is the hand-written
 * one, and every row says its cost against it.
 */
async function comparePath(cases) {
  const totals = cases.map(({ name }) => ({ name, ops: 0, ns: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const slice = { ms: MS / ROUNDS, warmup: round === 0 ? 200 : 20 };
      const r = c.sync
        ? measure(c.name, c.sync, { ...slice, batch: c.batch ?? 1000 })
        : await measureAsync(c.name, c.run, slice);
      totals[i].ops += r.ops;
      totals[i].ns += r.ns ?? r.nsPerOp * r.ops;
    }
  }
  const rows = totals.map((t) => ({
    name: t.name,
    ops: t.ops,
    nsPerOp: t.ns / t.ops,
    opsPerSec: (t.ops * 1e9) / t.ns,
  }));
  for (const r of rows) r.extra = { 'vs hand': `${(r.nsPerOp / rows[0].nsPerOp).toFixed(2)}x` };
  return rows;
}

async function open(backend) {
  const driver = backend.db
    ? new server.SqliteDriver(backend.db)
    : new server.PostgresDriver(backend.databaseUrl, { maxConnections: 2 });
  await server.migrate(driver);
  await driver.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', [PROJECT, 'bench', 1]);
  for (let i = 0; i < KEYS; i++)
    await driver.run(
      'INSERT INTO api_keys (id, project_id, kind, prefix, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [`key_${i}`, PROJECT, 'ingest', 'as_bench', hashes[i], i, null],
    );
  for (let i = 0; i < STORED_EVENTS; i += BATCH)
    await driver.transaction(async (tx) => {
      const { sql, params } = handInsert(batch(BATCH), clock);
      await tx.all(sql, params);
    });
  // Fresh statistics, as autovacuum keeps them on a running PostgreSQL (SQLite plans without).
  if (driver.dialect === 'postgres') await driver.run('ANALYZE');
  return driver;
}

async function onBackend(backend) {
  const engine = backend.db ? 'SQLite' : 'PostgreSQL';
  const dialect = backend.db ? 'sqlite' : 'postgres';
  const db = queryBuilder(dialect);
  const once = compiledOnce(db);
  const pool = Array.from({ length: 50 }, () => batch(BATCH));
  let b = 0;
  const nextBatch = () => pool[b++ % pool.length];
  let k = 0;
  const nextHash = () => hashes[k++ % KEYS];
  let sink = 0;

  const keyByHash = reusableQuery((hash) => typedKey(db, hash));
  // Statement building only: no database.
  const build = [
    ...(await comparePath([
      {
        name: `${engine} build: ingest insert, 100 events, hand string`,
        sync: () => (sink += handInsert(nextBatch(), 1).params.length),
        batch: 20,
      },
      {
        name: `${engine} build: ingest insert, Kysely compiled per call`,
        sync: () => (sink += typedInsert(db, nextBatch(), 1).compile().parameters.length),
        batch: 20,
      },
      {
        name: `${engine} build: ingest insert, Kysely compiled once per batch size`,
        sync: () => (sink += once.insert(nextBatch(), 1).params.length),
        batch: 20,
      },
    ])),
    ...(await comparePath([
      {
        name: `${engine} build: key lookup, hand string`,
        sync: () => (sink += handKey(nextHash()).params.length),
      },
      {
        name: `${engine} build: key lookup, Kysely compiled per call`,
        sync: () => (sink += typedKey(db, nextHash()).compile().parameters.length),
      },
      {
        name: `${engine} build: key lookup, reusableQuery (compiled once)`,
        sync: () => (sink += keyByHash(nextHash()).parameters.length),
      },
    ])),
    ...(await comparePath([
      {
        name: `${engine} build: first audit page, hand string`,
        sync: () => (sink += handPage().params.length),
      },
      {
        name: `${engine} build: first audit page, Kysely compiled per call`,
        sync: () => (sink += typedPage(db).compile().parameters.length),
      },
    ])),
    ...(await comparePath([
      {
        name: `${engine} build: filtered audit page, hand string`,
        sync: () => (sink += handFilteredPage(FILTER).params.length),
      },
      {
        name: `${engine} build: filtered audit page, Kysely compiled per call`,
        sync: () => (sink += typedFilteredPage(db, FILTER).compile().parameters.length),
      },
    ])),
  ];

  // End to end through the driver, against a migrated database with data in it. Fresh ids
  // every time, so each insert stores its 100 rows.
  const driver = await open(backend);
  try {
    const fresh = () => batch(BATCH);
    const run = [
      ...(await comparePath([
        {
          name: `${engine} run: ingest insert, hand string`,
          run: () =>
            driver.transaction((tx) => {
              const { sql, params } = handInsert(fresh(), 1);
              return tx.all(sql, params);
            }),
        },
        {
          name: `${engine} run: ingest insert, Kysely compiled per call`,
          run: () => driver.transaction((tx) => fetchAll(tx, typedInsert(db, fresh(), 1))),
        },
        {
          name: `${engine} run: ingest insert, Kysely compiled once per batch size`,
          run: () =>
            driver.transaction((tx) => {
              const { sql, params } = once.insert(fresh(), 1);
              return tx.all(sql, params, { nativePlaceholders: true });
            }),
        },
      ])),
      ...(await comparePath([
        {
          name: `${engine} run: key lookup, hand string`,
          run: () => {
            const { sql, params } = handKey(nextHash());
            return driver.all(sql, params);
          },
        },
        {
          name: `${engine} run: key lookup, Kysely compiled per call`,
          run: () => fetchFirst(driver, typedKey(db, nextHash())),
        },
        {
          name: `${engine} run: key lookup, reusableQuery (compiled once)`,
          run: () => fetchFirst(driver, keyByHash(nextHash())),
        },
      ])),
      ...(await comparePath([
        {
          name: `${engine} run: first audit page, hand string`,
          run: () => {
            const { sql, params } = handPage();
            return driver.all(sql, params);
          },
        },
        {
          name: `${engine} run: first audit page, Kysely compiled per call`,
          run: () => fetchAll(driver, typedPage(db)),
        },
      ])),
      ...(await comparePath([
        {
          name: `${engine} run: filtered audit page, hand string`,
          run: () => {
            const { sql, params } = handFilteredPage(FILTER);
            return driver.all(sql, params);
          },
        },
        {
          name: `${engine} run: filtered audit page, Kysely compiled per call`,
          run: () => fetchAll(driver, typedFilteredPage(db, FILTER)),
        },
      ])),
    ];
    if (sink < 0) console.log(sink);
    return [...build, ...run];
  } finally {
    await driver.close();
  }
}

async function main() {
  const rows = (await eachBackend(onBackend)).flat();
  report('query-layer', rows, {
    note:
      'ns per statement; "vs hand" is against the hand-written string of the same path, engine and kind ' +
      '(build: statement text and parameters only; run: through the driver, end to end). ' +
      `${BATCH}-event batches, ${KEYS} keys, ${STORED_EVENTS}+ stored events; one run.`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
