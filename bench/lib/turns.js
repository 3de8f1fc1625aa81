'use strict';
/**
 * Measures a pair of async cases (unguarded, then guarded) in alternating turns, so a busy
 * shared machine slows both alike; besides the totals, it reports the median over the turns
 * of what the second case added: one slow turn moves the totals, hardly the median.
 *
 * @example
 * const { inTurns } = require('./lib/turns');
 * const pair = await inTurns(
 *   [
 *     { name: 'call, unguarded', fn: () => plain() },
 *     { name: 'call, guarded', fn: () => guarded() },
 *   ],
 *   { turns: 16, ms: 250, batch: 100 },
 * );
 * report('my-guard', pair.rows, { addedNs: Math.round(pair.medianAddedNs) });
 */
const { performance } = require('node:perf_hooks');

/** Runs `fn` one call after another, `batch` at a time, for about `ms`; returns [calls, ns]. */
async function run(fn, ms, batch) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) await fn();
    calls += batch;
  }
  return [calls, Number(process.hrtime.bigint() - start)];
}

/**
 * The two cases in `turns` alternating turns of `ms` each, after a 500 ms warm-up of each.
 * Returns the rows (totals over the turns; the guarded row's `extra` holds the median added)
 * and the median of guarded minus unguarded ns per call over the turns.
 */
async function inTurns(cases, { turns = 8, ms = 500, batch = 100 } = {}) {
  for (const c of cases) await run(c.fn, 500, batch);
  const totals = cases.map(() => ({ calls: 0, ns: 0 }));
  const addedPerTurn = [];
  for (let t = 0; t < turns; t++) {
    const nsPerOp = [];
    for (let i = 0; i < cases.length; i++) {
      const [calls, ns] = await run(cases[i].fn, ms, batch);
      totals[i].calls += calls;
      totals[i].ns += ns;
      nsPerOp.push(ns / calls);
    }
    addedPerTurn.push(nsPerOp[1] - nsPerOp[0]);
  }
  const rows = cases.map((c, i) => ({
    name: c.name,
    ops: totals[i].calls,
    nsPerOp: totals[i].ns / totals[i].calls,
    opsPerSec: (totals[i].calls * 1e9) / totals[i].ns,
  }));
  const medianAddedNs = median(addedPerTurn);
  rows[1].extra = {
    'added by guard (median of turns)': `${Math.round(medianAddedNs)} ns (${((medianAddedNs / rows[0].nsPerOp) * 100).toFixed(1)}%)`,
  };
  return { rows, medianAddedNs, addedPercent: +((medianAddedNs / rows[0].nsPerOp) * 100).toFixed(1) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

module.exports = { inTurns };
