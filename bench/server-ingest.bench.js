'use strict';
/**
 * Ingest throughput of agentsudo-server: the server runs as a child process (the built
 * CLI), a local load generator in this process posts batches of 100 events over
 * kept-alive connections for a fixed time, and the server's memory is sampled meanwhile.
 * SQLite always; PostgreSQL when DATABASE_URL (or AGENTSUDO_TEST_DATABASE_URL) is set.
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
const {
  cli,
  cpuSeconds,
  keyFrom,
  postEvents,
  rssMiB,
  startServer,
  stopServer,
} = require('./lib/server-process');

const BATCH = 100;
const CONCURRENCY = 8;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const WARMUP_MS = 1_000;

async function run(name, storageArgs, env) {
  const key = keyFrom(cli(['project', 'create', 'bench', ...storageArgs], env));
  const { child, url } = await startServer(storageArgs, env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const makeBatch = batchFactory(BATCH);
  const rss = [];
  const sampler = setInterval(() => rss.push(rssMiB(child.pid)), 1000);
  let accepted = 0;
  let measuring = false;
  const warmEnd = Date.now() + WARMUP_MS;
  const end = warmEnd + DURATION_MS;
  let start;
  let cpuStart = 0;
  const worker = async () => {
    while (Date.now() < end) {
      if (!measuring && Date.now() >= warmEnd) {
        measuring = true;
        start = process.hrtime.bigint();
        cpuStart = cpuSeconds(child.pid);
        accepted = 0;
      }
      // Read `accepted` only after the await: `accepted += await …` would add to a stale value.
      const n = (await postEvents(agent, url, key, makeBatch())).accepted;
      accepted += n;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ns = Number(process.hrtime.bigint() - start);
  const serverCpu = (cpuSeconds(child.pid) - cpuStart) / (ns / 1e9);
  clearInterval(sampler);
  agent.destroy();
  await stopServer(child);
  const perSec = (accepted * 1e9) / ns;
  const steady = rss.slice(1);
  return {
    name,
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
  const rows = await eachBackend((b) =>
    b.db
      ? run('SQLite (WAL, synchronous=NORMAL)', ['--db', b.db], { DATABASE_URL: '' })
      : run('PostgreSQL', ['--database-url', b.databaseUrl], { DATABASE_URL: '' }),
  );
  report('server-ingest', rows, {
    note: `batches of ${BATCH} events, ${CONCURRENCY} concurrent keep-alive connections, ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up; server in a child process; RSS sampled every second`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
