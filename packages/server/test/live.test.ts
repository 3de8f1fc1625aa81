import { createServer } from '../src';
import { backends, freshDatabase, openLive, startServer, wire } from './helpers';

describe.each(backends())('live feed on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('a live client receives each newly stored event once, filtered as asked', async () => {
    const t = await startServer(await backend.fresh());
    const auth = { authorization: `Bearer ${t.readToken}` };
    const all = await openLive(`${t.url}/api/projects/${t.projectId}/live`, auth);
    const denials = await openLive(
      `${t.url}/api/projects/${t.projectId}/live?allowed=false&scope=write:*`,
      auth,
    );
    const searched = await openLive(`${t.url}/api/projects/${t.projectId}/live?q=REFUND`, auth);
    try {
      const batch = [
        wire({ agent_name: 'Live' }),
        wire({ agent_name: 'Live', allowed: false, scope: 'write:refunds' }),
      ];
      await t.ingest(batch);
      await t.ingest(batch); // duplicates: stored once, announced once
      await t.ingest([wire({ agent_name: 'Live', allowed: false, scope: 'read:x' })]);
      await all.waitFor(3);
      await denials.waitFor(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(all.events.map((e) => e.event_id)).toEqual([
        batch[0].event_id,
        batch[1].event_id,
        expect.any(String),
      ]);
      expect(denials.events.map((e) => e.scope)).toEqual(['write:refunds']);
      expect(searched.events.map((e) => e.scope)).toEqual(['write:refunds']);
      expect(all.events[0]).toMatchObject({
        agent_name: 'Live',
        action: 'permission_check',
        seq: expect.any(Number),
      });
    } finally {
      all.close();
      denials.close();
      searched.close();
      await t.server.close();
    }
  });

  test("a token cannot follow another project's feed, and an ingest key cannot follow any", async () => {
    const t = await startServer(await backend.fresh());
    try {
      const other = await t.server.admin.createProject('other');
      await expect(
        openLive(`${t.url}/api/projects/${other.project.id}/live`, {
          authorization: `Bearer ${t.readToken}`,
        }),
      ).rejects.toThrow(/404/);
      await expect(
        openLive(`${t.url}/api/projects/${t.projectId}/live`, { 'x-api-key': t.apiKey }),
      ).rejects.toThrow(/403/);
    } finally {
      await t.server.close();
    }
  });

  test('closing the server ends open live feeds instead of waiting on them', async () => {
    const t = await startServer(await backend.fresh());
    const live = await openLive(`${t.url}/api/projects/${t.projectId}/live`, {
      authorization: `Bearer ${t.readToken}`,
    });
    await t.server.close();
    live.close();
  });
});

describe('live feed across two instances on one PostgreSQL', () => {
  test('a client of instance B sees events ingested through instance A', async () => {
    const db = await freshDatabase();
    const a = await createServer({ databaseUrl: db.url, port: 0 });
    const b = await createServer({ databaseUrl: db.url, port: 0 });
    try {
      const { project, apiKey } = await a.admin.createProject('shared');
      const { token } = await b.admin.createReadToken(project.id);
      const urlA = await a.listen();
      const urlB = await b.listen();
      const live = await openLive(`${urlB}/api/projects/${project.id}/live`, {
        authorization: `Bearer ${token}`,
      });
      const events = Array.from({ length: 3 }, (_, i) => wire({ agent_name: `viaA-${i}` }));
      const res = await fetch(`${urlA}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(200);
      await live.waitFor(3);
      live.close();
      expect(live.events.map((e) => e.agent_name)).toEqual(['viaA-0', 'viaA-1', 'viaA-2']);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
