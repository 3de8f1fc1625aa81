'use strict';
/**
 * Runs every bench/*.bench.js (or those named on the command line) one after another,
 * each in its own process so one benchmark's garbage does not tax the next. Unless
 * DATABASE_URL names a PostgreSQL server, a throwaway one is started on 127.0.0.1 (the
 * same helper the tests use) so the server and query-layer benchmarks report PostgreSQL
 * beside SQLite, and the limits benchmark measures its PostgreSQL store; likewise a
 * throwaway Redis unless REDIS_URL names one.
 *
 * @example
 * npm run bench                 # all
 * npm run bench -- core-check   # one
 */
const { readdirSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const only = process.argv.slice(2);
const all = readdirSync(__dirname).filter((f) => f.endsWith('.bench.js'));
// A name runs that benchmark (server-ingest is not also server-ingest-writer); a prefix that
// names none runs every benchmark it starts (server- runs all the server's).
const picks = (o, f) => (all.includes(`${o}.bench.js`) ? f === `${o}.bench.js` : f.startsWith(o));
const files = all.filter((f) => only.length === 0 || only.some((o) => picks(o, f)));

const env = { ...process.env };
let postgres;
/** The benchmarks that report PostgreSQL beside SQLite. */
const onPostgres = (f) =>
  f.startsWith('server-') ||
  f.startsWith('query-layer') ||
  f.startsWith('limits') ||
  f.startsWith('approval-');
/** The benchmarks that need Redis. */
const onRedis = (f) => f.startsWith('limits');
const needPostgres = !env.DATABASE_URL && files.some(onPostgres);
const needRedis = !env.REDIS_URL && files.some(onRedis);
if (needPostgres || needRedis)
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
if (needPostgres) {
  const { findPgBin, freePort, startTestPostgres } = require('../test-support/postgres');
  if (findPgBin()) {
    postgres = startTestPostgres(freePort());
    env.DATABASE_URL = postgres.url;
  }
}

async function main() {
  let failed = 0;
  let redis;
  try {
    if (needRedis) {
      const { freePort } = require('../test-support/postgres');
      const { findRedisServer, startTestRedis } = require('../test-support/redis');
      if (findRedisServer()) {
        redis = await startTestRedis(freePort());
        env.REDIS_URL = redis.url;
      }
    }
    for (const file of files) {
      const res = spawnSync(process.execPath, ['--expose-gc', join(__dirname, file)], {
        stdio: 'inherit',
        env,
      });
      if (res.status !== 0) failed++;
    }
  } finally {
    postgres?.stop();
    redis?.stop();
  }
  return failed;
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (e) => {
    console.error(e);
    postgres?.stop();
    process.exit(1);
  },
);
