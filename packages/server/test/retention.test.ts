import { createServer, PostgresDriver, SqliteDriver } from '../src';
import { backends, startServer, wire } from './helpers';

const DAY_MS = 24 * 3600_000;

describe.each(backends())('retention on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('a server started with retentionDays deletes older events and keeps the rest', async () => {
    const storage = await backend.fresh();
    const first = await startServer(storage);
    const old = wire({
      agent_name: 'Old',
      allowed: false,
      reason: 'budget',
      timestamp: new Date(Date.now() - 40 * DAY_MS).toISOString(),
    });
    const recent = wire({ agent_name: 'Recent', timestamp: new Date(Date.now() - 2 * DAY_MS).toISOString() });
    expect((await first.ingest([old, recent])).status).toBe(200);
    await first.server.close();

    const second = await createServer({ ...storage, port: 0, retentionDays: 30 });
    try {
      let names: string[] = [];
      for (let i = 0; i < 100; i++) {
        const page = await second.storage.events.list(first.projectId, {}, { limit: 10 });
        names = page.events.map((e) => e.agentName);
        if (!names.includes('Old')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(names).toEqual(['Recent']);
      // The rollups of the deleted hours go with their events, the denials by reason too.
      const driver = storage.databaseUrl
        ? new PostgresDriver(storage.databaseUrl)
        : new SqliteDriver(storage.db!);
      try {
        const left = await driver.all('SELECT reason, n FROM hourly_denied_reasons');
        expect(left).toEqual([]);
      } finally {
        await driver.close();
      }
    } finally {
      await second.close();
    }
  });

  test('the sweep repeats: an old event stored after start-up is deleted by a later sweep', async () => {
    const t = await startServer(await backend.fresh(), { retentionDays: 30, retentionIntervalMs: 100 });
    try {
      const old = wire({
        agent_name: 'LateOld',
        timestamp: new Date(Date.now() - 40 * DAY_MS).toISOString(),
      });
      const recent = wire({ agent_name: 'Recent' });
      expect((await t.ingest([old, recent])).status).toBe(200);
      let names: string[] = ['LateOld'];
      for (let i = 0; i < 100 && names.includes('LateOld'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        names = (await t.server.storage.events.list(t.projectId, {}, { limit: 10 })).events.map(
          (e) => e.agentName,
        );
      }
      expect(names).toEqual(['Recent']);
    } finally {
      await t.server.close();
    }
  });
});
