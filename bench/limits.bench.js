'use strict';
/**
 * Round trips of the shared limit stores: a reserve followed by its settle, as a call with
 * a limit or a budget makes them, against one bare round trip to the same server (PING,
 * SELECT 1) as the baseline of each store. Cases: a fresh key each call; a key already
 * holding 2,000 reservations in its window (PostgreSQL adds them up on each reserve, Redis
 * keeps a running total); and 16 calls at once on fresh keys (throughput). Redis and
 * PostgreSQL run on this machine (bench/run.js starts throwaway ones unless REDIS_URL and
 * DATABASE_URL are given), so the numbers are the stores' own cost plus a loopback hop.
 */
const { randomUUID } = require('node:crypto');
const Redis = require('ioredis');
const { Pool } = require('pg');
const { redisLimitStore, postgresLimitStore } = require('../packages/limits/dist');
const { report } = require('./lib/harness');

const WINDOW = 3_600_000;
const MS = Number(process.env.BENCH_MS ?? 1500);
/** No case runs more than this many operations, however fast the machine. */
const MAX_OPS = 200_000;

/** Runs `op` (async) `parallel` at a time for about MS milliseconds after a warm-up; ns per op. */
async function measureAsync(name, op, { parallel = 1, warmup = 300 } = {}) {
  const warmEnd = Date.now() + warmup;
  while (Date.now() < warmEnd) await op();
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + MS;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < deadline && ops < MAX_OPS) {
        await op();
        ops++;
      }
    }),
  );
  const ns = Number(process.hrtime.bigint() - start);
  return { name, ops, nsPerOp: ns / ops, opsPerSec: (ops * 1e9) / ns };
}

/** reserve + settle of one call, on `key()`. */
function roundTrip(store, key) {
  return async () => {
    const k = key();
    const reservationId = randomUUID();
    const r = await store.reserve({ key: k, amount: 1, max: 1e12, windowMs: WINDOW, reservationId });
    if (!r.ok) throw new Error('a reserve with room was refused');
    await store.settle({ key: k, reservationId, actual: 1, windowMs: WINDOW });
  };
}

/** Fills `key` with `count` reservations, 50 at a time. */
async function fill(store, key, count) {
  for (let i = 0; i < count; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, () =>
        store.reserve({ key, amount: 1, max: 1e12, windowMs: WINDOW, reservationId: randomUUID() }),
      ),
    );
}

async function cases(label, store, bare) {
  const run = `bench-${randomUUID()}`;
  const full = `${run}:full`;
  await fill(store, full, 2000);
  return [
    await measureAsync(`${label}: one bare round trip`, bare),
    await measureAsync(
      `${label}: reserve + settle, fresh key`,
      roundTrip(store, () => `${run}:${randomUUID()}`),
    ),
    await measureAsync(
      `${label}: reserve + settle, key holding 2,000`,
      roundTrip(store, () => full),
    ),
    await measureAsync(
      `${label}: reserve + settle, 16 at once`,
      roundTrip(store, () => `${run}:${randomUUID()}`),
      {
        parallel: 16,
      },
    ),
  ];
}

async function main() {
  const rows = [];
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  if (redisUrl) {
    const client = new Redis(redisUrl);
    const prefix = `agentsudo-bench:${randomUUID()}:`;
    rows.push(
      ...(await cases('redis', redisLimitStore({ client, prefix, timeoutMs: 10_000 }), () => client.ping())),
    );
    const keys = await client.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
    await client.quit();
  } else console.log('limits: REDIS_URL not set and no redis-server found: Redis skipped');
  if (databaseUrl) {
    const pool = new Pool({ connectionString: databaseUrl, max: 16 });
    const table = `agentsudo_bench_limits_${process.pid}`;
    const store = postgresLimitStore({ pool, table, timeoutMs: 10_000 });
    try {
      rows.push(...(await cases('postgres', store, () => pool.query('SELECT 1'))));
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.end();
    }
  } else console.log('limits: DATABASE_URL not set and no PostgreSQL found: PostgreSQL skipped');
  // Each store's rows relative to its own bare round trip.
  for (const row of rows) {
    const base = rows.find((r) => r.name.split(':')[0] === row.name.split(':')[0]);
    row.extra = { 'bare round trips': (row.nsPerOp / base.nsPerOp).toFixed(2) };
  }
  report('limits', rows, {
    note: 'reserve + settle = two round trips; 16 at once = ns per call of the throughput; one run, shared 2-core machine',
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
