'use strict';
/* global Buffer, __filename, setImmediate, setTimeout, global */
/**
 * Cloud mode, against a real HTTP receiver in a child process on 127.0.0.1.
 *  1. Enqueue cost: CloudTransport.log() per event (target under 300 ns), beside a plain
 *     array push and a whole protected call with cloud mode listening to allowed checks.
 *  2. Sustained delivery of 1,000,000 fresh events with batching (target over 100,000 events/s),
 *     counted by the receiver.
 *  3. Memory over those 1,000,000 events: heapUsed / rss before and after (after GC).
 * Every loop is bounded in count and in time.
 */
const { fork } = require('node:child_process');
const http = require('node:http');
const zlib = require('node:zlib');

if (process.argv[2] === 'receiver') {
  runReceiver();
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

/** The child: a minimal ingest endpoint that counts the events it parses. */
function runReceiver() {
  let events = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const n = JSON.parse(body.toString('utf8')).length;
      events += n;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ accepted: n, duplicates: 0 }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'count') process.send({ events });
    if (m === 'stop') server.close(() => process.exit(0));
  });
}

function startReceiver() {
  const child = fork(__filename, ['receiver'], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, url: `http://127.0.0.1:${m.port}` }));
    child.once('error', reject);
  });
}

function receiverCount(child) {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m.events));
    child.send('count');
  });
}

const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function memory() {
  global.gc?.();
  const m = process.memoryUsage();
  return { heapUsedMB: +(m.heapUsed / 1048576).toFixed(1), rssMB: +(m.rss / 1048576).toFixed(1) };
}

async function main() {
  const core = require('../packages/core/dist');
  const { CloudTransport } = require('../packages/transport-cloud/dist');
  const { measure, report } = require('./lib/harness');
  const { child, url } = await startReceiver();

  // Fresh event objects shaped as core builds them. Ids and timestamps are made cheaply
  // here so the delivery rate measures the transport, not uuid generation (the sudo() row
  // shows a whole call with core building the event).
  const sample = core.createEvent({ agentName: 'SupportBot', action: 'permission_check', allowed: true });
  const newEvent = (i, timestamp = sample.timestamp) => ({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    timestamp,
    agentName: 'SupportBot',
    sessionId: `s-${i & 1023}`,
    action: 'permission_check',
    scope: 'read:customers',
    allowed: true,
    functionName: 'CustomerService.getCustomer',
    sdk: sample.sdk,
  });

  // ---- 1. enqueue cost ---------------------------------------------------------------
  const cloud = new CloudTransport({
    apiKey: 'as_bench_000000001',
    endpoint: url,
    spoolDir: false,
    batchSize: 1000,
    maxQueue: 20_000,
  });
  core.configure({ transports: [cloud] });
  const event = newEvent(0);
  const rows = [];
  const plain = [];
  rows.push(
    measure('plain array push (baseline)', () => {
      plain.push(event);
      if (plain.length === 10_000) plain.length = 0;
    }),
  );

  // Timed in bursts of 10,000 that fit the queue; the delivery in between is not timed.
  const timeBursts = async (name, fn) => {
    const BURST = 10_000;
    let ops = 0;
    let ns = 0;
    const deadline = Date.now() + 3000;
    for (let round = 0; round < 300 && Date.now() < deadline; round++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BURST; i++) fn(i);
      ns += Number(process.hrtime.bigint() - t0);
      ops += BURST;
      await cloud.flush(10_000);
    }
    return { name, ops, nsPerOp: ns / ops, opsPerSec: (ops * 1e9) / ns };
  };
  rows.push(await timeBursts('CloudTransport.log() (enqueue)', () => cloud.log(event)));

  // A whole protected call with cloud listening: core builds the event (uuid, timestamp), cloud queues it.
  const lookUp = core.sudo('read:customers', (id) => id);
  const bot = new core.Agent({ name: 'SupportBot', scopes: ['read:customers'] });
  await bot.startSession(async () => {
    rows.push(await timeBursts('sudo() call, cloud listening (event built + queued)', (i) => lookUp(i)));
  });
  const enqueued = rows[1].ops;
  await cloud.close(5000);
  core.configure({ transports: [] });
  const enqueueStats = cloud.stats();

  // ---- 2 + 3. sustained delivery and memory ------------------------------------------
  const TOTAL = 1_000_000;
  const base = await receiverCount(child);
  const sender = new CloudTransport({
    apiKey: 'as_bench_000000001',
    endpoint: url,
    spoolDir: false,
    batchSize: 1000,
    maxQueue: 40_000,
  });
  const before = memory();
  let peakRss = before.rssMB;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + 120_000;
  let produced = 0;
  while (produced < TOTAL && Date.now() < deadline) {
    // Produce only into free queue space, as a steady workload would; drops would skew the rate.
    const room = 40_000 - sender.stats().queued;
    if (room < 5000) {
      await sleep(1); // queue nearly full: let the sender catch up instead of spinning
      continue;
    }
    const n = Math.min(5000, TOTAL - produced);
    const now = new Date().toISOString();
    for (let i = 0; i < n; i++) sender.log(newEvent(produced + i, now));
    produced += n;
    if (produced % 100_000 < 5000) peakRss = Math.max(peakRss, process.memoryUsage().rss / 1048576);
    await tick();
  }
  const delivered = await sender.flush(60_000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const received = (await receiverCount(child)) - base;
  const stats = sender.stats();
  await sender.close(1000);
  const after = memory();

  rows.push({
    name: `sustained delivery, ${TOTAL.toLocaleString('en-US')} events (batchSize 1000, gzip)`,
    ops: received,
    opsPerSec: received / seconds,
    nsPerOp: (seconds * 1e9) / received,
    extra: { 'ns/op': '(wall)' },
  });
  report('cloud', rows, {
    enqueue: { events: enqueued, dropped: enqueueStats.dropped.total },
    delivery: {
      produced,
      received,
      delivered,
      seconds: +seconds.toFixed(2),
      eventsPerSec: Math.round(received / seconds),
      requests: stats.requests,
      retried: stats.retried,
      dropped: stats.dropped.total,
    },
    memory: { before, after, peakRssMB: +peakRss.toFixed(1) },
  });
  console.log(
    `delivery: ${received.toLocaleString('en-US')} received in ${seconds.toFixed(2)} s = ` +
      `${Math.round(received / seconds).toLocaleString('en-US')} events/s, ${stats.requests} requests, ${stats.dropped.total} dropped`,
  );
  console.log(
    `memory: heapUsed ${before.heapUsedMB} → ${after.heapUsedMB} MB, rss ${before.rssMB} → ${after.rssMB} MB (peak ${peakRss.toFixed(1)} MB)`,
  );
  child.send('stop');
}
