import { backends, startServer, wire } from './helpers';

/**
 * The routes this release changed, called with each credential that may not call them:
 * none, an unknown token, an ingest key, another project's read token, a read token where a
 * login is needed. Each is refused with the status the docs name, and changes nothing.
 */
describe.each(backends())('refused credentials on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('one event by id refuses every credential that may not read it, and shows nothing of it', async () => {
    const t = await startServer(await backend.fresh());
    try {
      const other = await t.server.admin.createProject('other-project');
      const { token: otherToken } = await t.server.admin.createReadToken(other.project.id);
      const sent = wire({ metadata: { secret: 'only for this project' } });
      expect((await t.ingest([sent])).status).toBe(200);
      const url = `${t.url}/api/projects/${t.projectId}/events/${sent.event_id}`;
      const answer = async (headers: Record<string, string>) => {
        const res = await fetch(url, { headers });
        return { status: res.status, body: await res.text() };
      };

      const refused = [
        [{}, 401],
        [{ authorization: 'Bearer asr_not_a_real_token' }, 401],
        [{ 'x-api-key': t.apiKey }, 403],
        [{ authorization: `Bearer ${otherToken}` }, 404],
      ] as const;
      for (const [headers, status] of refused) {
        const got = await answer(headers);
        expect({ status: got.status, leaks: got.body.includes('only for this project') }).toEqual({
          status,
          leaks: false,
        });
      }
      // The other project's token cannot reach it through its own project's address either.
      const sideways = await fetch(`${t.url}/api/projects/${other.project.id}/events/${sent.event_id}`, {
        headers: { authorization: `Bearer ${otherToken}` },
      });
      expect(sideways.status).toBe(404);
      expect((await answer({ authorization: `Bearer ${t.readToken}` })).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });

  test('the live feed, me and logout refuse every credential that may not call them', async () => {
    const t = await startServer(await backend.fresh());
    try {
      const other = await t.server.admin.createProject('other-project');
      const { token: otherToken } = await t.server.admin.createReadToken(other.project.id);
      await t.server.admin.createUser('ops@example.com', 'a long enough password');
      const live = `${t.url}/api/projects/${t.projectId}/live`;
      const status = async (url: string, headers: Record<string, string>, method = 'GET') => {
        const res = await fetch(url, { method, headers });
        await res.body?.cancel();
        return res.status;
      };

      expect(await status(live, {})).toBe(401);
      expect(await status(live, { authorization: 'Bearer asr_not_a_real_token' })).toBe(401);
      expect(await status(live, { 'x-api-key': t.apiKey })).toBe(403);
      expect(await status(live, { authorization: `Bearer ${otherToken}` })).toBe(404);

      const me = `${t.url}/api/auth/me`;
      expect(await status(me, {})).toBe(401);
      expect(await status(me, { authorization: `Bearer ${t.readToken}` })).toBe(401);
      expect(await status(me, { 'x-api-key': t.apiKey })).toBe(401);

      // A logged-in user's session survives a logout sent with a token instead of its cookie,
      // and one sent with its cookie but no CSRF token.
      const login = await fetch(`${t.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@example.com', password: 'a long enough password' }),
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const logout = `${t.url}/api/auth/logout`;
      await status(logout, { authorization: `Bearer ${t.readToken}` }, 'POST');
      await status(logout, { 'x-api-key': t.apiKey }, 'POST');
      expect(await status(logout, { cookie }, 'POST')).toBe(403);
      expect(await status(me, { cookie })).toBe(200);
    } finally {
      await t.server.close();
    }
  });
});
