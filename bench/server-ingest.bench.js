'use strict';
/**
 * Ingest throughput of agentsudo-server: the server runs as a child process (the built
 * CLI), a local load generator in this process posts batches of 100 events over
 * kept-alive connections for a fixed time, and the server's memory is sampled meanwhile.
 * SQLite always; PostgreSQL when DATABASE_URL (or AGENTSUDO_TEST_DATABASE_URL) is set.
 * Two loads, each engine under both in one run: 8 connections (each sends its next batch
 * once the last is answered, so at most 800 events are in flight and commit latency bounds
 * the rate) and 32 (enough in flight that the server's own work does). BENCH_CONCURRENCY
 * runs one load only.
 *
 * @example
 * npm run bench -- server-ingest
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- server-ingest
 */
const http = require('node:http');
const { setInterval, clearInterval } = require('node:timers');
const { batchFactory } = require('./lib/event-batches');
const { report } = require('./lib/harness');
const { eachBackend } = require('./lib/server-backends');
const { driveIngest } = require('./lib/ingest-load');
const { cli, cpuSeconds, keyFrom, rssMiB, startServer, stopServer } = require('./lib/server-process');

const BATCH = 100;
const LOADS = process.env.BENCH_CONCURRENCY ? [Number(process.env.BENCH_CONCURRENCY)] : [8, 32];
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const WARMUP_MS = 1_000;

async function run(name, storageArgs, env, concurrency) {
  const key = keyFrom(cli(['project', 'create', `bench-${concurrency}`, ...storageArgs], env));
  const { child, url } = await startServer(storageArgs, env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const makeBatch = batchFactory(BATCH);
  const rss = [];
  const sampler = setInterval(() => rss.push(rssMiB(child.pid)), 1000);
  let cpuStart = 0;
  const { accepted, ns } = await driveIngest({
    agent,
    url,
    key,
    makeBatch,
    concurrency,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    onMeasureStart: () => (cpuStart = cpuSeconds(child.pid)),
  });
  const serverCpu = (cpuSeconds(child.pid) - cpuStart) / (ns / 1e9);
  clearInterval(sampler);
  agent.destroy();
  await stopServer(child);
  const perSec = (accepted * 1e9) / ns;
  const steady = rss.slice(1);
  return {
    name: `${name}, ${concurrency} connections`,
    concurrency,
    ops: accepted,
    nsPerOp: ns / accepted,
    opsPerSec: perSec,
    extra: {
      'events/s': Math.round(perSec).toLocaleString('en-US'),
      'server CPU': `${Math.round(serverCpu * 100)}%`,
      'RSS MiB first→last (max)': steady.length
        ? `${steady[0].toFixed(0)}→${steady[steady.length - 1].toFixed(0)} (${Math.max(...steady).toFixed(0)})`
        : '-',
    },
    rssMiB: rss.map((r) => Math.round(r)),
    serverCpuShare: serverCpu,
  };
}

async function main() {
  const byEngine = await eachBackend(async (b) => {
    const rows = [];
    for (const concurrency of LOADS)
      rows.push(
        b.db
          ? await run('SQLite (WAL, synchronous=NORMAL)', ['--db', b.db], { DATABASE_URL: '' }, concurrency)
          : await run('PostgreSQL', ['--database-url', b.databaseUrl], { DATABASE_URL: '' }, concurrency),
      );
    return rows;
  });
  const [sqlite, postgres] = byEngine;
  // PostgreSQL against SQLite under the same load, in this run.
  for (const [i, row] of (postgres ?? []).entries())
    row.extra['of SQLite'] = `${(row.opsPerSec / sqlite[i].opsPerSec).toFixed(2)}×`;
  report('server-ingest', byEngine.flat(), {
    note: `batches of ${BATCH} events over ${LOADS.join(' and then ')} concurrent keep-alive connections, each load ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up on a fresh server; server in a child process; RSS sampled every second`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
