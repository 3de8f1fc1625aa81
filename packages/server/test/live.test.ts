import { createServer, MAX_REPLAY_EVENTS } from '../src';
import { backends, freshDatabase, openLive, startServer, wire, jsonOf } from './helpers';

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
    const audits = await openLive(`${t.url}/api/projects/${t.projectId}/live?outcome=audit`, auth);
    try {
      const batch = [
        wire({ agent_name: 'Live' }),
        wire({ agent_name: 'Live', allowed: false, scope: 'write:refunds' }),
      ];
      await t.ingest(batch);
      await t.ingest(batch); // duplicates: stored once, announced once
      await t.ingest([wire({ agent_name: 'Live', allowed: false, scope: 'read:x' })]);
      await t.ingest([wire({ agent_name: 'Live', action: 'audit_violation', scope: 'admin:x' })]);
      await all.waitFor(4);
      await denials.waitFor(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(all.events.map((e) => e.event_id)).toEqual([
        batch[0].event_id,
        batch[1].event_id,
        expect.any(String),
        expect.any(String),
      ]);
      expect(audits.events.map((e) => e.scope)).toEqual(['admin:x']);
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
      audits.close();
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

  test('a client reconnecting with Last-Event-ID gets what it missed, then new events, each once', async () => {
    const t = await startServer(await backend.fresh());
    const auth = { authorization: `Bearer ${t.readToken}` };
    const url = `${t.url}/api/projects/${t.projectId}/live`;
    try {
      const first = await openLive(url, auth);
      await t.ingest([wire({ agent_name: 'Before' })]);
      const [seen] = await first.waitFor(1);
      first.close();
      const missed = [
        wire({ agent_name: 'Missed-0' }),
        wire({ agent_name: 'Missed-1', allowed: false, scope: 'write:refunds' }),
        wire({ agent_name: 'Missed-2' }),
      ];
      await t.ingest(missed);
      const again = await openLive(url, { ...auth, 'last-event-id': String(seen.seq) });
      await again.waitFor(3);
      await t.ingest([wire({ agent_name: 'After' })]);
      await again.waitFor(4);
      await new Promise((r) => setTimeout(r, 200));
      again.close();
      expect(again.events.map((e) => e.agent_name)).toEqual(['Missed-0', 'Missed-1', 'Missed-2', 'After']);
      expect(again.named).toEqual([]);
      // The replay honours the feed's filter, and last_event_id works on a first connection.
      const denials = await openLive(`${url}?allowed=false&last_event_id=${seen.seq}`, auth);
      await denials.waitFor(1);
      await new Promise((r) => setTimeout(r, 200));
      denials.close();
      expect(denials.events.map((e) => e.agent_name)).toEqual(['Missed-1']);
    } finally {
      await t.server.close();
    }
  });

  test(`a reconnection replays at most ${MAX_REPLAY_EVENTS} events, the newest, after a skipped message`, async () => {
    const t = await startServer(await backend.fresh());
    const auth = { authorization: `Bearer ${t.readToken}` };
    try {
      await t.ingest([wire({ agent_name: 'Oldest' })]);
      const before = (await t.read(`/api/projects/${t.projectId}/events?limit=1`)).body.events[0].seq;
      const missed = Array.from({ length: MAX_REPLAY_EVENTS + 5 }, (_, i) => wire({ agent_name: `M-${i}` }));
      await t.ingest(missed.slice(0, 1000));
      await t.ingest(missed.slice(1000));
      const live = await openLive(`${t.url}/api/projects/${t.projectId}/live`, {
        ...auth,
        'last-event-id': String(before),
      });
      const got = await live.waitFor(MAX_REPLAY_EVENTS);
      await new Promise((r) => setTimeout(r, 300)); // nothing more may follow
      live.close();
      expect(got.map((e) => e.agent_name)).toEqual(missed.slice(5).map((e) => e.agent_name));
      expect(live.named).toEqual([{ event: 'skipped', data: { after: before, before: got[0].seq } }]);
    } finally {
      await t.server.close();
    }
  });

  test('a Last-Event-ID that is not a whole number gets 400 naming it', async () => {
    const t = await startServer(await backend.fresh());
    try {
      const res = await fetch(`${t.url}/api/projects/${t.projectId}/live`, {
        headers: { authorization: `Bearer ${t.readToken}`, 'last-event-id': 'abc' },
      });
      expect(res.status).toBe(400);
      expect(await jsonOf(res)).toMatchObject({ error: 'invalid_last_event_id', field: 'Last-Event-ID' });
      const query = await fetch(`${t.url}/api/projects/${t.projectId}/live?last_event_id=-1`, {
        headers: { authorization: `Bearer ${t.readToken}` },
      });
      expect(query.status).toBe(400);
      expect((await jsonOf(query)).message).toMatch(/last_event_id "-1" is invalid/);
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

describe('two instances on one PostgreSQL', () => {
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

  test('a key revoked through instance A is refused by instance B without waiting for its cache', async () => {
    const db = await freshDatabase();
    const a = await createServer({ databaseUrl: db.url, port: 0 });
    const b = await createServer({ databaseUrl: db.url, port: 0 });
    try {
      const { apiKey } = await a.admin.createProject('revoked');
      const urlB = await b.listen();
      const ingest = async () =>
        (
          await fetch(`${urlB}/api/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
            body: JSON.stringify([wire()]),
          })
        ).status;
      expect(await ingest()).toBe(200); // B now holds the key in its cache
      await a.admin.revokeKey(apiKey);
      // The notice travels through PostgreSQL; B's cache would otherwise keep the key 10 s.
      const deadline = Date.now() + 2000;
      let status = await ingest();
      while (status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        status = await ingest();
      }
      expect(status).toBe(401);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
