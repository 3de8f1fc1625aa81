'use strict';
/**
 * Live-feed latency of agentsudo-server: how long after a batch is posted its event
 * reaches a Server-Sent Events client. The server runs as a child process (the built CLI);
 * this process posts one event at a time, 20 ms apart, and times each from the POST to its
 * arrival on the open live feed. SQLite always; PostgreSQL (fan-out through LISTEN/NOTIFY)
 * when DATABASE_URL (or AGENTSUDO_TEST_DATABASE_URL) is set.
 *
 * @example
 * npm run bench -- server-live
 */
const http = require('node:http');
const { setTimeout, clearTimeout } = require('node:timers');
const { newEventId } = require('../packages/core/dist');
const { report } = require('./lib/harness');
const { eachBackend } = require('./lib/server-backends');
const { cli, keyFrom, postEvents, startServer, stopServer } = require('./lib/server-process');

const EVENTS = Number(process.env.BENCH_LIVE_EVENTS ?? 300);
const GAP_MS = 20;
const TIMEOUT_MS = 5000;

/** Opens the live feed; calls onEvent(event_id) for each event it delivers. */
function openLive(url, projectId, token, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname,
        port: url.port,
        path: `/api/projects/${projectId}/live`,
        headers: { authorization: `Bearer ${token}` },
      },
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
            if (data) onEvent(JSON.parse(data.slice(6)).event_id);
          }
        });
        resolve(() => req.destroy());
      },
    );
    req.on('error', reject);
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(name, storageArgs, env) {
  const created = cli(['project', 'create', 'live', ...storageArgs], env);
  const key = keyFrom(created);
  const projectId = /prj_[0-9a-f]+/.exec(created)[0];
  const token = keyFrom(cli(['token', 'create', projectId, ...storageArgs], env), 'asr_');
  const { child, url } = await startServer(storageArgs, env);
  const waiting = new Map();
  const close = await openLive(url, projectId, token, (id) => waiting.get(id)?.());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latenciesMs = [];
  let missed = 0;
  try {
    for (let i = 0; i < EVENTS; i++) {
      const now = Date.now();
      const event = {
        event_id: newEventId(now),
        timestamp: new Date(now).toISOString(),
        agent_name: 'LatencyBot',
        action: 'permission_check',
        scope: 'read:customers',
        allowed: i % 5 !== 0,
        function_name: 'CustomerService.getCustomer',
      };
      const arrived = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), TIMEOUT_MS);
        waiting.set(event.event_id, () => {
          clearTimeout(timer);
          resolve(process.hrtime.bigint());
        });
      });
      const sent = process.hrtime.bigint();
      await postEvents(agent, url, key, JSON.stringify([event]));
      const at = await arrived;
      waiting.delete(event.event_id);
      if (at === undefined) missed++;
      else latenciesMs.push(Number(at - sent) / 1e6);
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
  } finally {
    close();
    agent.destroy();
    await stopServer(child);
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const ms = (v) => `${v.toFixed(2)} ms`;
  return {
    name,
    ops: sorted.length,
    extra: {
      p50: ms(percentile(sorted, 50)),
      p95: ms(percentile(sorted, 95)),
      p99: ms(percentile(sorted, 99)),
      max: ms(sorted[sorted.length - 1]),
      missed: String(missed),
    },
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
    },
    missed,
  };
}

async function main() {
  const rows = await eachBackend((b) =>
    b.db
      ? run('SQLite: POST → live feed', ['--db', b.db], { DATABASE_URL: '' })
      : run('PostgreSQL (LISTEN/NOTIFY): POST → live feed', ['--database-url', b.databaseUrl], {
          DATABASE_URL: '',
        }),
  );
  report('server-live', rows, {
    note: `${EVENTS} single-event batches, ${GAP_MS} ms apart; time from sending the POST to the event arriving on an open live feed; server in a child process`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
