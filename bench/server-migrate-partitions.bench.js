'use strict';
/**
 * How long migration 7 (events partitioned by day, PostgreSQL only) takes on a database that
 * already holds events: the schema as migrations 1-6 left it, filled with generated events
 * (35 days, bench/lib/event-loader.js), then migrated to the latest version, timed. The
 * migration runs in one transaction holding the events table's lock, so ingest waits for
 * all of it: this is also how long the upgrade stops ingest. Each size runs in a fresh
 * database; the row count is checked afterwards.
 *
 * @example
 * npm run bench -- server-migrate-partitions
 * BENCH_EVENTS=1000000,3000000 npm run bench -- server-migrate-partitions
 */
const { performance } = require('node:perf_hooks');
const { MIGRATIONS, PostgresDriver, migrate } = require('../packages/server/dist');
const { fillEvents } = require('./lib/event-loader');
const { report } = require('./lib/harness');
const { loadAverage } = require('./lib/machine-load');
const { withPostgresDatabase } = require('./lib/server-backends');

const SIZES = (process.env.BENCH_EVENTS ?? '100000,1000000').split(',').map(Number);
const DAYS = 35;
/** The last version before events were partitioned. */
const BEFORE_PARTITIONS = 6;

async function timeMigration(databaseUrl, events) {
  const driver = new PostgresDriver(databaseUrl);
  try {
    await migrate(
      driver,
      MIGRATIONS.filter((m) => m.version <= BEFORE_PARTITIONS),
    );
    await fillEvents(driver, { events, days: DAYS, now: Date.now() * 1000 });
    await driver.run('ANALYZE events');
    const t0 = performance.now();
    const applied = await migrate(driver);
    const seconds = (performance.now() - t0) / 1000;
    const [{ n }] = await driver.all('SELECT COUNT(*) AS n FROM events');
    if (Number(n) !== events) throw new Error(`events after the migration: ${n}, before: ${events}`);
    const [{ parts }] = await driver.all(
      `SELECT COUNT(*) AS parts FROM pg_inherits WHERE inhparent = 'events'::regclass`,
    );
    return {
      name: `${events.toLocaleString('en-US')} events`,
      ops: events,
      nsPerOp: (seconds * 1e9) / events,
      opsPerSec: events / seconds,
      extra: {
        'migration s': seconds.toFixed(1),
        'events/s moved': Math.round(events / seconds).toLocaleString('en-US'),
        partitions: Number(parts),
        applied: applied.join(', '),
      },
      seconds,
    };
  } finally {
    await driver.close();
  }
}

async function main() {
  const rows = [];
  for (const events of SIZES) {
    const run = await withPostgresDatabase(({ databaseUrl }) => timeMigration(databaseUrl, events));
    if (run.skipped) {
      console.log('server-migrate-partitions needs PostgreSQL: set DATABASE_URL.');
      return;
    }
    rows.push(run.result);
  }
  report('server-migrate-partitions', rows, {
    note: `PostgreSQL; migration 7 on a database at version ${BEFORE_PARTITIONS} holding generated events over ${DAYS} days; one fresh database per size; ingest waits for the whole migration; load average at the end ${loadAverage().join(' ')}`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
