/** Jest global teardown: stops the PostgreSQL server global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  (globalThis as { __agentsudoPg?: { stop(): void } }).__agentsudoPg?.stop();
}
