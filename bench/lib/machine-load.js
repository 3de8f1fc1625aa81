'use strict';
/**
 * How busy the whole machine is, from /proc: CPU seconds spent by everyone (so a benchmark
 * can tell its own share from other work on a shared machine) and the load average.
 *
 * @example
 * const before = machineBusySeconds(); … ; const busy = machineBusySeconds() - before;
 * console.log(loadAverage()); // [1 min, 5 min, 15 min]
 */
const { readFileSync } = require('node:fs');

/** CPU seconds all cores spent not idle since boot (user, nice, system, irq, softirq, steal). */
function machineBusySeconds() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** The 1, 5 and 15 minute load averages. */
function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

module.exports = { machineBusySeconds, loadAverage };
