'use strict';
/**
 * Approval latency: from "Approve" POSTed by a person to the guarded function starting.
 * An async function guarded by cloudApproval() waits for its request; as soon as the request
 * is stored, this process POSTs the decision (as the dashboard does) and times until the
 * function's body runs: the push to the waiting process, the consume round trip and the call.
 *
 * The real server: the built agentsudo-server in a child process on 127.0.0.1 (as
 * bench/server-*.bench.js start theirs), on SQLite and, when DATABASE_URL is set, PostgreSQL.
 * A signed-in user (cookie and CSRF token, as the dashboard) hears each request on the
 * project's live feed (its approval_requested event), reads its id from the queue, and POSTs
 * the decision; the clock starts right before that POST.
 *
 * Second, the approvals contract fake (packages/transport-cloud/test/approval-server.ts) in
 * this process, which can refuse the stream: the event stream and the long-poll fallback.
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
const { eachBackend } = require('./lib/server-backends');
const { cli, keyFrom, startServer, stopServer } = require('./lib/server-process');

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

/** Sends one JSON request over `agent`; resolves with the status, headers and parsed body. */
function send(agent, url, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method,
        headers: {
          ...headers,
          ...(data === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Opens the project's live feed; calls onApprovalRequest() on each approval_requested event. */
function onRequests(url, projectId, cookie, onApprovalRequest) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: url.hostname, port: url.port, path: `/api/projects/${projectId}/live`, headers: { cookie } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`live feed answered ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer
              .slice(0, end)
              .split('\n')
              .find((l) => l.startsWith('data: '));
            buffer = buffer.slice(end + 2);
            if (!data) continue;
            const parsed = JSON.parse(data.slice(6));
            for (const e of Array.isArray(parsed) ? parsed : [parsed])
              if (e.action === 'approval_requested') onApprovalRequest();
          }
        });
        resolve(() => req.destroy());
      },
    );
    req.on('error', reject);
  });
}

/** Times CALLS approvals against the real server on one storage backend. */
async function runReal(backend) {
  const storageArgs = backend.db ? ['--db', backend.db] : ['--database-url', backend.databaseUrl];
  // The storage is named by the arguments only: DATABASE_URL set for the run would be a second one.
  const env = { DATABASE_URL: '' };
  const created = cli(['project', 'create', 'approvals', ...storageArgs], env);
  const key = keyFrom(created);
  const projectId = /prj_[0-9a-f]+/.exec(created)[0];
  const login = { email: 'bench@example.com', password: 'correct horse battery staple' };
  cli(['user', 'create', login.email, ...storageArgs], { ...env, AGENTSUDO_PASSWORD: login.password });
  const { child, url } = await startServer(storageArgs, env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const signedIn = await send(agent, url, 'POST', '/api/auth/login', {}, login);
  const cookie = String(signedIn.headers['set-cookie']).split(';')[0];
  const user = { cookie, 'x-csrf-token': signedIn.body.csrf_token };
  const bot = new Agent({ name: 'LatencyBot', scopes: [] });
  let approvedAt = 0;
  const latenciesMs = [];
  const endpoint = url.origin;
  const refund = sudo(
    'write:refunds',
    async (i) => {
      if (i >= WARMUP) latenciesMs.push(performance.now() - approvedAt);
    },
    { onDeny: cloudApproval({ endpoint, apiKey: key, timeoutMs: 60_000 }), name: 'refund' },
  );
  const approveNext = async () => {
    const { body } = await send(
      agent,
      url,
      'GET',
      `/api/projects/${projectId}/approvals?status=pending&limit=1`,
      user,
    );
    const [pending] = body.approvals;
    if (!pending) return;
    approvedAt = performance.now();
    const answer = await send(
      agent,
      url,
      'POST',
      `/api/projects/${projectId}/approvals/${pending.id}/decision`,
      user,
      {
        decision: 'approve',
      },
    );
    if (answer.status !== 200) throw new Error(`decision answered ${answer.status}`);
  };
  const close = await onRequests(url, projectId, cookie, () =>
    approveNext().catch((err) => console.error(err.message)),
  );
  try {
    for (let i = 0; i < CALLS + WARMUP; i++) await bot.startSession(() => refund(i));
  } finally {
    close();
    closeApprovalStreams();
    agent.destroy();
    await stopServer(child);
  }
  return row(`real server, ${backend.name} (event stream)`, latenciesMs);
}

function row(name, latenciesMs) {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const r = {
    name,
    calls: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  };
  r.extra = {
    'p50 ms': r.p50Ms.toFixed(2),
    'p99 ms': r.p99Ms.toFixed(2),
    'max ms': r.maxMs.toFixed(2),
    'p99 < 100 ms': r.p99Ms < 100 ? 'yes' : 'NO',
  };
  return r;
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
  return row(`contract fake, ${name}`, latenciesMs);
}

(async () => {
  configure({ transports: [] });
  const rows = [
    ...(await eachBackend(runReal)),
    await run('event stream (push)', { stream: true }),
    await run('long-poll fallback', { stream: false }),
  ];
  report('approval-latency', rows, {
    note:
      'ms from the decision POST to the guarded function starting (push, consume, call), on 127.0.0.1: ' +
      'the real server (a child process) per storage, then the approvals contract fake in process',
    target: 'p99 < 100 ms on a local server',
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
