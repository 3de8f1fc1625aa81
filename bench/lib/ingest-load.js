'use strict';
/**
 * The ingest load of the server benchmarks: `concurrency` kept-alive connections each posting
 * a batch after the last was answered, for a warm-up and then a measured time. Resolves with
 * what was accepted while measuring, the time it took and this process's CPU meanwhile (the
 * load generator's own cost); `onMeasureStart` runs when measuring starts (to read a server's
 * CPU then).
 *
 * @example
 * const load = await driveIngest({ agent, url, key, makeBatch: batchFactory(100), concurrency: 8,
 *   warmupMs: 1000, durationMs: 10_000, onMeasureStart: () => (cpu0 = cpuSeconds(child.pid)) });
 * console.log((load.accepted * 1e9) / load.ns, 'events/s');
 */
const { postEvents } = require('./server-process');

async function driveIngest({
  agent,
  url,
  key,
  makeBatch,
  concurrency,
  warmupMs,
  durationMs,
  onMeasureStart,
}) {
  let accepted = 0;
  let measuring = false;
  const warmEnd = Date.now() + warmupMs;
  const end = warmEnd + durationMs;
  let start;
  let cpu;
  const worker = async () => {
    while (Date.now() < end) {
      if (!measuring && Date.now() >= warmEnd) {
        measuring = true;
        start = process.hrtime.bigint();
        cpu = process.cpuUsage();
        onMeasureStart?.();
        accepted = 0;
      }
      // Read `accepted` only after the await: `accepted += await …` would add to a stale value.
      const n = (await postEvents(agent, url, key, makeBatch())).accepted;
      accepted += n;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ns = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { accepted, ns, clientCpuSeconds: (used.user + used.system) / 1e6 };
}

module.exports = { driveIngest };
