'use strict';
/**
 * The PostgreSQL group-commit insert, as the event writer sent it before, as it sends it now,
 * and a form tried and not kept, in alternating rounds against the same database, so load on a shared machine skews
 * neither side. Each round stores 10 groups of 500 fresh events (what a group commit holds
 * under the server-ingest load) in their own transactions and counts, per 1,000 events, the
 * wall time, this process's CPU (building parameters, parsing the answer) and the database
 * backend's CPU (read from /proc: the database must run on this machine).
 * - before: each column a JS array that node-postgres serialises, a row message per stored
 *   event (RETURNING seq, project_id, event_id), sorted by seq in JS;
 * - now: each column an array literal built in one pass (storage/postgres-arrays.ts);
 * - json answer (tried, not kept): array literals, and what was stored as one JSON array in
 *   seq order instead of a row per event: less work here, as much more in the database, which
 *   is the bottleneck of a group commit.
 * PostgreSQL only: DATABASE_URL or AGENTSUDO_TEST_DATABASE_URL.
 *
 * @example
 * DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- server-ingest-writer
 */
const { readFileSync } = require('node:fs');
const { Client } = require('pg');
const { eventRows } = require('./lib/event-batches');
const { report } = require('./lib/harness');
const { loadAverage } = require('./lib/machine-load');
const { eachBackend } = require('./lib/server-backends');
const { openStorage } = require('../packages/server/dist');
const { EVENT_COLUMNS, EVENT_TYPES } = require('../packages/server/dist/storage/event-columns');
const { columnArrays, unnestRows } = require('../packages/server/dist/storage/postgres-arrays');

const GROUP = 500;
const GROUPS_PER_ROUND = 10;
const TURNS = Number(process.env.BENCH_TURNS ?? 30);
const PROJECT = 'prj_bench_writer';

const numbered = (sql) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};
const INSERT = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) ${unnestRows(EVENT_TYPES)} ON CONFLICT DO NOTHING`;

const before = {
  name: 'before: JS arrays, a row per stored event',
  sql: numbered(`${INSERT} RETURNING seq, project_id, event_id`),
  params(rows) {
    const out = Array.from({ length: EVENT_COLUMNS.length }, () => new Array(rows.length));
    rows.forEach((row, r) => row.forEach((v, c) => (out[c][r] = v)));
    return out;
  },
  stored(result) {
    return result.rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => [Number(r.seq), r.event_id]);
  },
};
const now = {
  name: 'now: array literals, a row per stored event',
  sql: before.sql,
  params: (rows) => columnArrays(rows, EVENT_COLUMNS.length),
  stored: before.stored,
};
const jsonAnswer = {
  name: 'json answer: array literals, one JSON answer',
  sql: numbered(`WITH stored AS (${INSERT} RETURNING seq, project_id, event_id)
    SELECT json_agg(json_build_array(seq, project_id, event_id) ORDER BY seq) AS stored FROM stored`),
  params: now.params,
  stored: (result) => (result.rows[0].stored ?? []).map(([seq, , id]) => [seq, id]),
};
const FORMS = [before, now, jsonAnswer];

/** Events as the bench's load generator sends them: 4 agents, 5 scopes, 1 in 10 denied. */
function groupRows() {
  return eventRows(PROJECT, GROUP, Date.now());
}

function backendCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function round(client, pid, form) {
  const groups = Array.from({ length: GROUPS_PER_ROUND }, groupRows);
  const cpu = process.cpuUsage();
  const db = backendCpuMs(pid);
  const start = process.hrtime.bigint();
  let stored = 0;
  for (const rows of groups) {
    await client.query('BEGIN');
    stored += form.stored(await client.query(form.sql, form.params(rows))).length;
    await client.query('COMMIT');
  }
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  if (stored !== GROUP * GROUPS_PER_ROUND) throw new Error(`stored ${stored} of ${GROUP * GROUPS_PER_ROUND}`);
  const per1000 = 1000 / stored;
  return {
    wall: wallMs * per1000,
    node: ((used.user + used.system) / 1000) * per1000,
    db: (backendCpuMs(pid) - db) * per1000,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const rows = await eachBackend(async (b) => {
    if (!b.databaseUrl) return undefined;
    const storage = await openStorage({ databaseUrl: b.databaseUrl });
    await storage.accounts.createProject({ id: PROJECT, name: 'bench', createdAt: Date.now() });
    await storage.close();
    const client = new Client({ connectionString: b.databaseUrl });
    await client.connect();
    try {
      const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
      for (let i = 0; i < 3; i++) for (const form of FORMS) await round(client, pid, form);
      const seen = new Map(FORMS.map((form) => [form, []]));
      for (let i = 0; i < TURNS; i++) {
        // Rotate which goes first, so none always meets a warmer cache or a quieter moment.
        for (let k = 0; k < FORMS.length; k++) {
          const form = FORMS[(i + k) % FORMS.length];
          seen.get(form).push(await round(client, pid, form));
        }
      }
      return FORMS.map((form) => {
        const runs = seen.get(form);
        const m = (k) => median(runs.map((r) => r[k]));
        const ratio = (k) => median(runs.map((r, i) => r[k] / seen.get(before)[i][k]));
        return {
          name: form.name,
          ops: GROUP * GROUPS_PER_ROUND * TURNS,
          nsPerOp: m('wall') * 1000,
          opsPerSec: 1e6 / m('wall'),
          extra: {
            'wall ms/1000 ev': m('wall').toFixed(1),
            'node CPU ms/1000 ev': m('node').toFixed(1),
            'db CPU ms/1000 ev': m('db').toFixed(1),
            'ratio to before wall / node / db': `${ratio('wall').toFixed(2)} / ${ratio('node').toFixed(2)} / ${ratio('db').toFixed(2)}`,
          },
          medians: { wallMs: m('wall'), nodeCpuMs: m('node'), dbCpuMs: m('db') },
        };
      });
    } finally {
      await client.end();
    }
  });
  const pg = rows.filter(Boolean).flat();
  if (!pg.length) {
    console.log('server-ingest-writer needs PostgreSQL: set DATABASE_URL.');
    return;
  }
  report('server-ingest-writer', pg, {
    note: `PostgreSQL; ${TURNS} turns of one round per form (order rotating), each ${GROUPS_PER_ROUND} transactions of ${GROUP} events; medians per 1,000 events; ratio = median over turns of each form / before in the same turn; load average at the end ${loadAverage().join(' ')}`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
