import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startTestPostgres } from './postgres';

/**
 * Jest global setup, for every test worker and the processes tests start:
 * - a PostgreSQL URL in AGENTSUDO_TEST_DATABASE_URL, starting a throwaway server when none
 *   is given;
 * - XDG_STATE_HOME in a folder of this run, so a cloud transport configured without a
 *   `spoolDir` makes its spool there, never in the home of whoever runs the tests.
 */
export default async function globalSetup(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'agentsudo-test-state-'));
  process.env.XDG_STATE_HOME = state;
  (globalThis as { __agentsudoState?: string }).__agentsudoState = state;
  if (process.env.AGENTSUDO_TEST_DATABASE_URL) return;
  const pg = startTestPostgres(freePort());
  process.env.AGENTSUDO_TEST_DATABASE_URL = pg.url;
  (globalThis as { __agentsudoPg?: { stop(): void } }).__agentsudoPg = pg;
}
