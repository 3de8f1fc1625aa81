'use strict';
/**
 * Shared benchmark harness: time a function in batches, print a table (ops/s, ns/op,
 * ratio to the first row as baseline), write bench/results/<name>.json.
 *
 * @example
 * const { measure, report } = require('./lib/harness');
 * const rows = [measure('plain call', () => plain()), measure('decorated call', () => guarded())];
 * report('core-check', rows, { note: 'allowed path, no transport listening' });
 * const page = await medianOfRuns('first audit page', () => events.list(projectId, {}, { limit: 50 }));
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');

/** Runs fn in batches for about `ms` milliseconds after a warm-up; returns ns/op. */
function measure(name, fn, { ms = 1000, batch = 10000, warmup = 200 } = {}) {
  const warmEnd = performance.now() + warmup;
  while (performance.now() < warmEnd) for (let i = 0; i < batch; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
  }
  const ns = Number(process.hrtime.bigint() - start);
  return { name, ops, nsPerOp: ns / ops, opsPerSec: (ops * 1e9) / ns };
}

/**
 * Times an async `fn` `runs` times after one warm-up run: a row whose ns/op is the median run,
 * with the median and p95 in milliseconds (for queries, where one run is a whole answer).
 */
async function medianOfRuns(name, fn, runs = 20) {
  await fn(); // warm the caches once
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  const p95 = ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))];
  return {
    name,
    ops: runs,
    nsPerOp: median * 1e6,
    opsPerSec: 1000 / median,
    extra: { 'median ms': median.toFixed(1), 'p95 ms': p95.toFixed(1) },
    medianMs: median,
    p95Ms: p95,
  };
}

/** Prints a table and writes bench/results/<name>.json; the first row is the baseline. */
function report(name, rows, extra = {}) {
  const base = rows[0];
  const table = rows.map((r) => ({
    case: r.name,
    'ops/s': r.opsPerSec !== undefined ? Math.round(r.opsPerSec).toLocaleString('en-US') : '-',
    'ns/op': r.nsPerOp !== undefined ? r.nsPerOp.toFixed(1) : '-',
    'vs baseline':
      r.nsPerOp !== undefined && base.nsPerOp ? `${(r.nsPerOp / base.nsPerOp).toFixed(2)}x` : '-',
    ...(r.extra ?? {}),
  }));
  console.log(`\n## ${name}`);
  console.table(table);
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const result = {
    name,
    date: new Date().toISOString(),
    node: process.version,
    cpus: require('node:os').cpus().length,
    rows,
    ...extra,
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
  return result;
}

module.exports = { measure, medianOfRuns, report };
