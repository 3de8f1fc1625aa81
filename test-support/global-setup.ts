import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startTestPostgres } from './postgres';
import { startTestRedis } from './redis';

/**
 * Jest global setup, for every test worker and the processes tests start:
 * - a PostgreSQL URL in AGENTSUDO_TEST_DATABASE_URL, starting a throwaway server when none
 *   is given;
 * - a Redis URL in AGENTSUDO_TEST_REDIS_URL, likewise (Debian's redis-server, no persistence);
 * - XDG_STATE_HOME in a folder of this run, so a cloud transport configured without a
 *   `spoolDir` makes its spool there, never in the home of whoever runs the tests.
 */
export default async function globalSetup(): Promise<void> {
  const run = globalThis as {
    __agentsudoState?: string;
    __agentsudoPg?: { stop(): void };
    __agentsudoRedis?: { stop(): void };
  };
  const state = mkdtempSync(join(tmpdir(), 'agentsudo-test-state-'));
  process.env.XDG_STATE_HOME = state;
  run.__agentsudoState = state;
  if (!process.env.AGENTSUDO_TEST_DATABASE_URL) {
    const pg = startTestPostgres(freePort());
    process.env.AGENTSUDO_TEST_DATABASE_URL = pg.url;
    run.__agentsudoPg = pg;
  }
  if (!process.env.AGENTSUDO_TEST_REDIS_URL) {
    const redis = await startTestRedis(freePort());
    process.env.AGENTSUDO_TEST_REDIS_URL = redis.url;
    run.__agentsudoRedis = redis;
  }
}
