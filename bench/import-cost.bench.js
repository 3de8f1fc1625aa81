'use strict';
/**
 * What importing costs a cold process: `require('agentsudo')` against
 * `require('@agentsudo/core')` alone, from the built packages (`npm run build`), each
 * in a fresh Node process so nothing is cached in memory. Agents run as CLIs, scripts and
 * serverless functions, where this is paid on every run. Target: `agentsudo` within
 * 1.5x of core. Further rows show where the transports' dependencies are paid instead:
 * winston on the first console line or when a file log is configured, axios when cloud
 * mode is configured.
 *
 * Each case runs RUNS times, the cases interleaved so that a busy machine taxes them
 * alike; the table shows the median time of the measured code inside the child
 * (process start-up excluded), and `p90`.
 *
 * @example
 * npm run bench -- import-cost
 */
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { report } = require('./lib/harness');

const RUNS = Number(process.env.IMPORT_COST_RUNS ?? 25);
const root = join(__dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'agentsudo-bench-import-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** Each case is the code timed inside a fresh process; `__scratch` is a private folder. */
const cases = [
  ["require('@agentsudo/core') (baseline)", "require('@agentsudo/core');"],
  ["require('agentsudo')", "require('agentsudo');"],
  [
    "require('agentsudo') + first denial printed",
    `const { Agent, sudo } = require('agentsudo');
     const refund = sudo('write:refunds', () => 0, { name: 'refund' });
     new Agent({ name: 'Bench', scopes: [] }).startSession(() => { try { refund(); } catch {} });`,
  ],
  [
    "require('agentsudo') + configureFileLog",
    "require('agentsudo').configureFileLog({ filename: require('node:path').join(__scratch, 'audit.jsonl') });",
  ],
  [
    "require('agentsudo') + configureCloud",
    `require('agentsudo').configureCloud({ apiKey: 'as_bench', endpoint: 'http://127.0.0.1:9', spoolDir: false });`,
  ],
];

function timeOnce(code) {
  const script = `const __scratch = ${JSON.stringify(scratch)};
const __t0 = process.hrtime.bigint();
${code}
process.stdout.write(String(Number(process.hrtime.bigint() - __t0)));
process.exit(0);`;
  const res = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`child failed (${res.status}): ${res.stderr}`);
  return Number(res.stdout);
}

const samples = cases.map(() => []);
for (let run = 0; run < RUNS; run++) {
  for (let i = 0; i < cases.length; i++) samples[i].push(timeOnce(cases[i][1]));
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const rows = cases.map(([name], i) => {
  const sorted = [...samples[i]].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return {
    name,
    runs: RUNS,
    nsPerOp: median,
    p90Ns: quantile(sorted, 0.9),
    extra: { 'median ms': (median / 1e6).toFixed(1), 'p90 ms': (quantile(sorted, 0.9) / 1e6).toFixed(1) },
  };
});
const ratio = rows[1].nsPerOp / rows[0].nsPerOp;
report('import-cost', rows, {
  note: 'ns/op is the median time of one cold import in a fresh process; target agentsudo within 1.5x of core',
  agentsudoVsCore: Number(ratio.toFixed(2)),
  targetMet: ratio <= 1.5,
});
console.log(
  `require('agentsudo') is ${ratio.toFixed(2)}x require('@agentsudo/core') (target 1.5x): ${ratio <= 1.5 ? 'met' : 'NOT met'}`,
);
