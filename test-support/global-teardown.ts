import { rmSync } from 'node:fs';

/** Jest global teardown: stops the PostgreSQL server global setup started, if any, and removes the run's state folder. */
export default async function globalTeardown(): Promise<void> {
  const run = globalThis as { __agentsudoPg?: { stop(): void }; __agentsudoState?: string };
  try {
    run.__agentsudoPg?.stop();
  } finally {
    if (run.__agentsudoState) rmSync(run.__agentsudoState, { recursive: true, force: true });
  }
}
