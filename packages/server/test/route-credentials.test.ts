import { backends, startServer } from './helpers';

/**
 * The routes this release changed, called with each credential that may not call them:
 * none, an unknown token, an ingest key, another project's read token, a read token where a
 * login is needed. Each is refused with the status the docs name, and changes nothing.
 */
describe.each(backends())('refused credentials on $name', (backend) => {
  afterAll(() => backend.cleanup());

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
