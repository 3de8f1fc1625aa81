import { rmSync } from 'node:fs';

/** Jest global teardown: stops the PostgreSQL and Redis servers global setup started, if any, and removes the run's state folder. */
export default async function globalTeardown(): Promise<void> {
  const run = globalThis as {
    __agentsudoPg?: { stop(): void };
    __agentsudoRedis?: { stop(): void };
    __agentsudoState?: string;
  };
  try {
    run.__agentsudoPg?.stop();
  } finally {
    try {
      run.__agentsudoRedis?.stop();
    } finally {
      if (run.__agentsudoState) rmSync(run.__agentsudoState, { recursive: true, force: true });
    }
  }
}
