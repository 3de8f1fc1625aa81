import { freePort, startTestPostgres } from './postgres';

/**
 * Jest global setup: gives every test worker a PostgreSQL URL in
 * AGENTSUDO_TEST_DATABASE_URL, starting a throwaway server when none is given.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.AGENTSUDO_TEST_DATABASE_URL) return;
  const pg = startTestPostgres(freePort());
  process.env.AGENTSUDO_TEST_DATABASE_URL = pg.url;
  (globalThis as { __agentsudoPg?: { stop(): void } }).__agentsudoPg = pg;
}
