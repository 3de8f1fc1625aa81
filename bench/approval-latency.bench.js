'use strict';
/**
 * Approval latency: from "Approve" POSTed by a person to the guarded function starting.
 * An async function guarded by cloudApproval() waits for its request; as soon as the request
 * is stored, this process POSTs the decision (as the dashboard does) and times until the
 * function's body runs: the push to the waiting process, the consume round trip and the call.
 * Two cases: the event stream (the normal path) and the long-poll fallback (stream refused).
 *
 * Served by the approvals contract fake (packages/transport-cloud/test/approval-server.ts) on
 * 127.0.0.1, in this process: the server side of the contract is built separately, and this
 * benchmark moves to it (started as bench/server-*.bench.js start theirs) once it is in main.
 *
 * @example
 * npm run bench -- approval-latency
 */
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
const { Agent, configure, sudo } = require('../packages/core/dist');
const { cloudApproval, closeApprovalStreams } = require('../packages/transport-cloud/dist');
const { ApprovalServer } = require('../packages/transport-cloud/test/approval-server');
const { report } = require('./lib/harness');

const CALLS = Number(process.env.BENCH_APPROVAL_CALLS ?? 200);
const WARMUP = 10;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** POSTs a decision as the dashboard does, over a kept-alive connection. */
function approve(server, agent, id) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ decision: 'approve' });
    const req = http.request(
      `${server.url}/api/projects/${ApprovalServer.PROJECT}/approvals/${id}/decision`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${ApprovalServer.USER_TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`decision answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(name, { stream }) {
  const server = await new ApprovalServer().start();
  server.streamEnabled = stream;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bot = new Agent({ name: 'LatencyBot', scopes: [] });
  let approvedAt = 0;
  const latenciesMs = [];
  const refund = sudo(
    'write:refunds',
    async (i) => {
      if (i >= WARMUP) latenciesMs.push(performance.now() - approvedAt);
    },
    {
      onDeny: cloudApproval({ endpoint: server.url, apiKey: ApprovalServer.KEY, timeoutMs: 60_000 }),
      name: 'refund',
    },
  );
  server.onPending = (approval) => {
    approvedAt = performance.now();
    approve(server, agent, approval.id).catch((err) => console.error(err.message));
  };
  try {
    for (let i = 0; i < CALLS + WARMUP; i++) await bot.startSession(() => refund(i));
  } finally {
    closeApprovalStreams();
    agent.destroy();
    await server.stop();
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const row = {
    name,
    calls: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  };
  row.extra = {
    'p50 ms': row.p50Ms.toFixed(2),
    'p99 ms': row.p99Ms.toFixed(2),
    'max ms': row.maxMs.toFixed(2),
    'p99 < 100 ms': row.p99Ms < 100 ? 'yes' : 'NO',
  };
  return row;
}

(async () => {
  configure({ transports: [] });
  const rows = [
    await run('event stream (push)', { stream: true }),
    await run('long-poll fallback', { stream: false }),
  ];
  report('approval-latency', rows, {
    note:
      'ms from the decision POST to the guarded function starting (push, consume, call); ' +
      'against the approvals contract fake on 127.0.0.1, not yet the real server',
    target: 'p99 < 100 ms on a local server',
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
