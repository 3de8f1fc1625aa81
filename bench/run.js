'use strict';
/**
 * Runs every bench/*.bench.js (or those named on the command line) one after another,
 * each in its own process so one benchmark's garbage does not tax the next.
 *
 * @example
 * npm run bench                 # all
 * npm run bench -- core-check   # one
 */
const { readdirSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const only = process.argv.slice(2);
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
let failed = 0;
for (const file of files) {
  const res = spawnSync(process.execPath, ['--expose-gc', join(__dirname, file)], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
