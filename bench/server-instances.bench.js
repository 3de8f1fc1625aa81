'use strict';
/**
 * Two agentsudo-server instances on one PostgreSQL database, against one: the same load
 * (batches of 100 over 8 keep-alive connections) taken by one instance, then spread over
 * two (two processes, two ports, one database), in alternating rounds in one run, so the
 * shared machine's load falls on both alike. A third case prices NOTIFY: one instance whose
 * group commits leave out the events' `pg_notify` (bench/lib/server-without-event-notify.js).
 *
 * Reported per case: events/s, CPU milliseconds per 1,000 events of the server processes
 * (all three, from /proc/<pid>/stat; the idle ones only hear notifications) and of the
 * PostgreSQL cluster (postmaster and every process it started), NOTIFYs heard per second
 * and events per NOTIFY (one per group commit), and what the database's active sessions
 * were waiting on, sampled every 100 ms (`Lock:object` is the cluster-wide lock a
 * notifying transaction takes at commit). Needs PostgreSQL on this machine (bench/run.js
 * starts a throwaway one); the CPU of a remote one cannot be read.
 *
 * @example
 * npm run bench -- server-instances
 * BENCH_ROUNDS=2 BENCH_ROUND_MS=2000 node bench/run.js server-instances   # a quick look
 */
const http = require('node:http');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { setInterval, clearInterval, setTimeout, clearTimeout } = require('node:timers');
const { URL } = require('node:url');
const { batchFactory } = require('./lib/event-batches');
const { report } = require('./lib/harness');
const { loadAverage, machineBusySeconds } = require('./lib/machine-load');
const { postgresCpu } = require('./lib/postgres-cpu');
const { withPostgresDatabase } = require('./lib/server-backends');
const { cli, cpuSeconds, keyFrom, postEvents, startServer, stopServer } = require('./lib/server-process');

const BATCH = 100;
const CONCURRENCY = 8;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 4_000);
const WARMUP_MS = 1_500;
const SAMPLE_MS = 100;
/** The channel the server's instances share (postgres-driver.ts). */
const EVENTS_CHANNEL = 'agentsudo_events';
/** Ours: a notice sent after a round, heard after every notice of the round's commits. */
const ROUND_END_CHANNEL = 'bench_round_end';
/** A round ends at ROUND_MS; one that cannot finish its last requests by then is broken. */
const ROUND_GRACE_MS = 60_000;

const ONE = 'one instance';
const TWO = 'two instances, half the load each';
const QUIET = 'one instance, events not NOTIFYed';

/** Events a `project|a-b,c` payload announces. */
function eventsIn(payload) {
  let n = 0;
  for (const run of payload.slice(payload.lastIndexOf('|') + 1).split(',')) {
    const [a, b = a] = run.split('-').map(Number);
    n += b - a + 1;
  }
  return n;
}

/** Hears the deployment's notifications; `roundEnd()` resolves once all sent so far arrived. */
async function notificationCounter(databaseUrl, projectId) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const counts = { notifies: 0, events: 0 };
  const waiting = new Map();
  client.on('notification', (msg) => {
    if (msg.channel === EVENTS_CHANNEL && msg.payload.startsWith(`${projectId}|`)) {
      counts.notifies++;
      counts.events += eventsIn(msg.payload);
    } else if (msg.channel === ROUND_END_CHANNEL) waiting.get(msg.payload)?.();
  });
  await client.query(`LISTEN ${EVENTS_CHANNEL}`);
  await client.query(`LISTEN ${ROUND_END_CHANNEL}`);
  let marker = 0;
  return {
    counts,
    /** Notifications arrive in commit order: once ours is here, every earlier one is. */
    async roundEnd(sender) {
      const token = String(++marker);
      const heard = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the round-end notice never came')), ROUND_GRACE_MS);
        waiting.set(token, () => {
          clearTimeout(timer);
          waiting.delete(token);
          resolve();
        });
      });
      await sender.query('SELECT pg_notify($1, $2)', [ROUND_END_CHANNEL, token]);
      await heard;
    },
    close: () => client.end(),
  };
}

/** Samples what the database's active sessions wait on; `take()` returns the tally since the last. */
function waitSampler(client, database) {
  let tally = new Map();
  let samples = 0;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const { rows } = await client.query(
        `SELECT COALESCE(wait_event_type || ':' || wait_event, 'on CPU') AS what, count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = $1 AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          GROUP BY 1`,
        [database],
      );
      samples++;
      for (const { what, n } of rows) tally.set(what, (tally.get(what) ?? 0) + n);
    } catch {
      // A missed sample only thins the tally.
    } finally {
      busy = false;
    }
  }, SAMPLE_MS);
  return {
    take() {
      const taken = { samples, tally };
      tally = new Map();
      samples = 0;
      return taken;
    },
    stop: () => clearInterval(timer),
  };
}

/** Posts batches from CONCURRENCY clients, client i to target i mod n, for `ms`. */
async function ingest(targets, key, makeBatch, ms) {
  const end = Date.now() + ms;
  let accepted = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const { agent, url } = targets[i % targets.length];
      while (Date.now() < end) {
        // Read `accepted` only after the await: `accepted += await …` would add to a stale value.
        const n = (await postEvents(agent, url, key, makeBatch())).accepted;
        accepted += n;
      }
    }),
  );
  return { accepted, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function run({ databaseUrl, adminUrl }) {
  const pg = await postgresCpu(adminUrl);
  if (!pg)
    throw new Error(
      'PostgreSQL is not on this machine, so its CPU cannot be read: let bench/run.js start one',
    );
  const storage = ['--database-url', databaseUrl];
  const env = { DATABASE_URL: '' };
  const created = cli(['project', 'create', 'bench', ...storage], env);
  const key = keyFrom(created);
  const projectId = /prj_[0-9a-f]+/.exec(created)[0];
  const servers = [];
  const { Client } = require('pg');
  const admin = new Client({ connectionString: databaseUrl });
  let counter;
  let sampler;
  try {
    for (const entry of [undefined, undefined, require.resolve('./lib/server-without-event-notify')]) {
      const { child, url } = await startServer(storage, env, entry && { entry });
      servers.push({ child, url, agent: new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }) });
    }
    const [a, b, quiet] = servers;
    const cases = [
      { name: ONE, targets: [a] },
      { name: TWO, targets: [a, b] },
      { name: QUIET, targets: [quiet] },
    ];
    await admin.connect();
    counter = await notificationCounter(databaseUrl, projectId);
    sampler = waitSampler(admin, new URL(databaseUrl).pathname.slice(1));
    const makeBatch = batchFactory(BATCH);
    const serverSeconds = () => servers.reduce((sum, s) => sum + cpuSeconds(s.child.pid), 0);
    const snapshot = () => ({
      server: serverSeconds(),
      postgres: pg.seconds(),
      bench: process.cpuUsage(),
      machine: machineBusySeconds(),
      notifies: counter.counts.notifies,
      notifiedEvents: counter.counts.events,
    });

    for (const c of cases) await ingest(c.targets, key, makeBatch, WARMUP_MS);
    await counter.roundEnd(admin);
    sampler.take();
    const loadBefore = loadAverage();
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Each case leads in turn, so none always runs right after another's backlog.
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + r) % cases.length];
        const before = snapshot();
        const { accepted, seconds } = await ingest(c.targets, key, makeBatch, ROUND_MS);
        await counter.roundEnd(admin);
        const after = snapshot();
        const bench = process.cpuUsage(before.bench);
        rounds.push({
          round: r + 1,
          case: c.name,
          events: accepted,
          seconds,
          serverCpu: after.server - before.server,
          postgresCpu: after.postgres - before.postgres,
          benchCpu: (bench.user + bench.system) / 1e6,
          machineBusy: after.machine - before.machine,
          notifies: after.notifies - before.notifies,
          notifiedEvents: after.notifiedEvents - before.notifiedEvents,
          waits: sampler.take(),
        });
      }
    }
    const loadAfter = loadAverage();
    return { rounds, loadBefore, loadAfter };
  } finally {
    sampler?.stop();
    await counter?.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
    for (const s of servers) {
      s.agent.destroy();
      await stopServer(s.child);
    }
  }
}

/** One case's rounds summed. */
function totalOf(rounds, name) {
  const mine = rounds.filter((r) => r.case === name);
  const sum = (f) => mine.reduce((s, r) => s + f(r), 0);
  const events = sum((r) => r.events);
  const seconds = sum((r) => r.seconds);
  const samples = sum((r) => r.waits.samples);
  const waits = {};
  for (const r of mine) for (const [what, n] of r.waits.tally) waits[what] = (waits[what] ?? 0) + n;
  // Mean sessions in each state per sample, the busiest first.
  const waiting = Object.fromEntries(
    Object.entries(waits)
      .map(([what, n]) => [what, +(n / samples).toFixed(2)])
      .sort((x, y) => y[1] - x[1]),
  );
  const machineBusy = sum((r) => r.machineBusy);
  const ours = sum((r) => r.serverCpu + r.postgresCpu + r.benchCpu);
  return {
    name,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    serverCpuMsPer1k: (sum((r) => r.serverCpu) * 1e6) / events,
    postgresCpuMsPer1k: (sum((r) => r.postgresCpu) * 1e6) / events,
    loadGeneratorCpuMsPer1k: (sum((r) => r.benchCpu) * 1e6) / events,
    notifiesPerSecond: sum((r) => r.notifies) / seconds,
    eventsPerNotify: sum((r) => r.notifies) ? sum((r) => r.notifiedEvents) / sum((r) => r.notifies) : 0,
    notifiedEvents: sum((r) => r.notifiedEvents),
    machineBusyCores: machineBusy / seconds,
    otherWorkCores: Math.max(0, machineBusy - ours) / seconds,
    activeSessions: waiting,
    perRound: mine.map((r) => Math.round(r.events / r.seconds)),
  };
}

/** The median over rounds of a/b, each round's cases measured side by side. */
function medianRoundRatio(rounds, a, b) {
  const byRound = new Map();
  for (const r of rounds) byRound.set(`${r.round}|${r.case}`, r.events / r.seconds);
  const ratios = [];
  for (let i = 1; byRound.has(`${i}|${a}`); i++)
    ratios.push(byRound.get(`${i}|${a}`) / byRound.get(`${i}|${b}`));
  return median(ratios);
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function markdown(result) {
  const { totals, twoToOne, notifyOnToOff, loadBefore, loadAfter } = result;
  const lines = [
    '# server-instances',
    '',
    `${result.note}.`,
    '',
    '| case | events/s | per round | server CPU ms / 1,000 events | PostgreSQL CPU ms / 1,000 events | NOTIFY/s | events per NOTIFY | machine busy (cores) | of which other work |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...totals.map(
      (t) =>
        `| ${t.name} | ${fmt(t.eventsPerSecond)} | ${t.perRound.map((n) => fmt(n)).join(', ')} | ${fmt(t.serverCpuMsPer1k, 1)} | ${fmt(t.postgresCpuMsPer1k, 1)} | ${fmt(t.notifiesPerSecond, 1)} | ${fmt(t.eventsPerNotify)} | ${fmt(t.machineBusyCores, 2)} | ${fmt(t.otherWorkCores, 2)} |`,
    ),
    '',
    `Two instances against one: ${twoToOne.total.toFixed(2)}× over the run, ${twoToOne.medianOfRounds.toFixed(2)}× as the median of the rounds' own ratios (target ≥ 0.95).`,
    `One instance with its events NOTIFYed against without: ${notifyOnToOff.total.toFixed(2)}× the events/s over the run (${notifyOnToOff.medianOfRounds.toFixed(2)}× median of rounds).`,
    '',
    "Active sessions of the database, mean per 100 ms sample, by what they waited on (`on CPU`: not waiting; `Lock:object`: the cluster-wide lock of a notifying commit; `Lock:transactionid`/`Lock:tuple`: another transaction's rollup rows):",
    '',
    ...totals.map(
      (t) =>
        `- ${t.name}: ${Object.entries(t.activeSessions)
          .map(([what, n]) => `${what} ${n}`)
          .join(', ')}`,
    ),
    '',
    `Machine load average (1/5/15 min): ${loadBefore.join(' / ')} before the rounds, ${loadAfter.join(' / ')} after, on ${require('node:os').cpus().length} cores shared with other work.`,
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const out = await withPostgresDatabase(run);
  if (out.skipped) {
    console.log('note: server-instances needs PostgreSQL; set DATABASE_URL or run it through bench/run.js.');
    return;
  }
  const { rounds, loadBefore, loadAfter } = out.result;
  const totals = [ONE, TWO, QUIET].map((name) => totalOf(rounds, name));
  const [one, two, quiet] = totals;
  const rows = totals.map((t) => ({
    name: t.name,
    ops: t.events,
    nsPerOp: (t.seconds * 1e9) / t.events,
    opsPerSec: t.eventsPerSecond,
    extra: {
      'server CPU ms/1k': fmt(t.serverCpuMsPer1k, 1),
      'PostgreSQL CPU ms/1k': fmt(t.postgresCpuMsPer1k, 1),
      'NOTIFY/s': fmt(t.notifiesPerSecond, 1),
      'events/NOTIFY': fmt(t.eventsPerNotify),
    },
  }));
  const note = `PostgreSQL, batches of ${BATCH} events from ${CONCURRENCY} keep-alive connections (spread evenly over the instances of a case); ${ROUNDS} rounds of ${ROUND_MS / 1000} s per case, the cases alternating and each leading in turn, after ${WARMUP_MS / 1000} s of warm-up each; three server processes (two normal, one without the events' NOTIFY) run throughout, those a case does not use idle; CPU from /proc/<pid>/stat; the throwaway PostgreSQL runs with fsync=off`;
  const result = report('server-instances', rows, {
    note,
    twoToOne: {
      total: two.eventsPerSecond / one.eventsPerSecond,
      medianOfRounds: medianRoundRatio(rounds, TWO, ONE),
    },
    notifyOnToOff: {
      total: one.eventsPerSecond / quiet.eventsPerSecond,
      medianOfRounds: medianRoundRatio(rounds, ONE, QUIET),
    },
    totals,
    loadBefore,
    loadAfter,
    rounds: rounds.map((r) => ({
      ...r,
      waits: { samples: r.waits.samples, ...Object.fromEntries(r.waits.tally) },
    })),
  });
  const md = markdown(result);
  console.log(`\n${md}`);
  writeFileSync(join(__dirname, 'results', 'server-instances.md'), md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
