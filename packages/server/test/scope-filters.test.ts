import { join } from 'node:path';
import { openLive, startServer, tempDir, wire } from './helpers';
import { startServerProcess, type ServerProcess } from './server-process';

const dir = tempDir();
afterAll(() => dir.remove());

describe('a scope filter cannot stall the server', () => {
  let s: ServerProcess | undefined;
  afterEach(async () => {
    await s?.kill();
    s = undefined;
  });

  test('a live feed with a pattern full of wildcards, then an event with a long scope: /api/health still answers', async () => {
    s = await startServerProcess(join(dir.dir, 'stall.db'));
    // As a backtracking regular expression, this pattern against a 512-character scope of
    // 'a's takes longer than anyone waits; every request to the server would queue behind it.
    const pattern = '*a*a*a*a*a*a*a*b';
    const live = await openLive(
      `${s.url}/api/projects/${s.projectId}/live?scope=${encodeURIComponent(pattern)}`,
      { authorization: `Bearer ${s.readToken}` },
    );
    try {
      const ingest = (scope: string) =>
        fetch(`${s!.url}/api/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': s!.apiKey },
          body: JSON.stringify([wire({ scope })]),
        });
      expect((await ingest('a'.repeat(512))).status).toBe(200);
      const health = await fetch(`${s.url}/api/health`);
      expect(health.status).toBe(200);
      // The feed still filters: a long scope that does match arrives, the other did not.
      const matching = 'a'.repeat(511) + 'b';
      expect((await ingest(matching)).status).toBe(200);
      const [event] = await live.waitFor(1, 20_000);
      expect(event.scope).toBe(matching);
      expect(live.events).toHaveLength(1);
    } finally {
      live.close();
    }
  }, 60_000);
});

describe('the number of wildcards in a scope filter is capped', () => {
  test('a listing, an export or a live feed with more than 8 wildcards answers 400 naming the limit', async () => {
    const t = await startServer({ db: join(dir.dir, 'cap.db') });
    try {
      const nine = 'a*'.repeat(9);
      for (const path of ['events', 'export']) {
        const res = await t.read(`/api/projects/${t.projectId}/${path}?scope=${encodeURIComponent(nine)}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: 'invalid_query', field: 'scope' });
        expect(res.body.message).toContain(`scope="${nine}"`);
        expect(res.body.message).toContain("9 '*' wildcards, at most 8");
      }
      await expect(
        openLive(`${t.url}/api/projects/${t.projectId}/live?scope=${encodeURIComponent(nine)}`, {
          authorization: `Bearer ${t.readToken}`,
        }),
      ).rejects.toThrow(/400/);
      const eight = 'read:' + '*'.repeat(8);
      await t.ingest([wire({ scope: 'read:orders' })]);
      const ok = await t.read(`/api/projects/${t.projectId}/events?scope=${encodeURIComponent(eight)}`);
      expect(ok.status).toBe(200);
      expect(ok.body.events.map((e: { scope: string }) => e.scope)).toEqual(['read:orders']);
    } finally {
      await t.server.close();
    }
  });
});
