import type { FastifyPluginAsync } from 'fastify';
import { createServer, projectAccess, type ServerContext } from '../src';
import { jsonOf, signIn, startServer, tempDir } from './helpers';

/**
 * Routes under /api/projects/:project are authorized in one place, projectAccess, before
 * their handler runs; a route added there without it does not run at all. Shown with
 * plugins given to createServer's `extend`, as an add-on would write them.
 */
const temp = tempDir();
afterAll(() => temp.remove());

const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };

test('a project route registered without projectAccess answers 500 and its handler never runs', async () => {
  let ran = 0;
  const unguarded: FastifyPluginAsync<ServerContext> = async (app) => {
    app.get('/api/projects/:project/notes', async () => {
      ran++;
      return { notes: ['secret'] };
    });
  };
  const t = await startServer({ db: `${temp.dir}/unguarded.db` }, { extend: unguarded });
  try {
    for (const headers of [{}, { authorization: `Bearer ${t.readToken}` }] as Record<string, string>[]) {
      const res = await fetch(`${t.url}/api/projects/${t.projectId}/notes`, { headers });
      const body = await res.text();
      expect({ status: res.status, leaks: body.includes('secret') }).toEqual({ status: 500, leaks: false });
    }
    expect(ran).toBe(0);
  } finally {
    await t.server.close();
  }
});

test('projectAccess refuses, at startup, a route of its plugin that has no :project parameter', async () => {
  const misplaced: FastifyPluginAsync<ServerContext> = async (app, { access }) => {
    await app.register(projectAccess, { access });
    app.get('/api/notes', async () => ({ notes: [] }));
  };
  await expect(createServer({ db: `${temp.dir}/misplaced.db`, port: 0, extend: misplaced })).rejects.toThrow(
    'GET /api/notes is registered where projectAccess authorizes every route, but it has no :project parameter',
  );
});

describe('a plugin of project routes behind projectAccess', () => {
  const seen: Array<{ id: string; reader: string; user?: string }> = [];
  const notes: FastifyPluginAsync<ServerContext> = async (app, { access }) => {
    await app.register(projectAccess, { access });
    app.get('/api/projects/:project/notes', async (request) => {
      seen.push({ id: request.project.id, reader: request.project.reader.kind });
      return { project: request.project.id };
    });
    app.post(
      '/api/projects/:project/notes',
      { config: { loginRequired: 'Writing notes needs a dashboard login.' } },
      async (request) => {
        seen.push({ id: request.project.id, reader: 'user', user: request.project.user!.email });
        return { written_by: request.project.user!.email };
      },
    );
  };

  test('lets in the readers of the project and tells the handler who they are', async () => {
    const t = await startServer({ db: `${temp.dir}/notes.db` }, { extend: notes });
    try {
      const other = await t.server.admin.createProject('other-project');
      const { token: otherToken } = await t.server.admin.createReadToken(other.project.id);
      const url = `${t.url}/api/projects/${t.projectId}/notes`;
      const get = async (headers: Record<string, string>) => {
        const res = await fetch(url, { headers });
        return { status: res.status, error: (await jsonOf(res)).error as string | undefined };
      };

      // Nobody, an unknown token, an ingest key, another project's token: refused as the read API does.
      expect(await get({})).toEqual({ status: 401, error: 'unauthenticated' });
      expect(await get({ authorization: 'Bearer asr_not_a_real_token' })).toEqual({
        status: 401,
        error: 'invalid_token',
      });
      expect(await get({ 'x-api-key': t.apiKey })).toEqual({ status: 403, error: 'not_a_read_token' });
      expect(await get({ authorization: `Bearer ${otherToken}` })).toEqual({
        status: 404,
        error: 'project_not_found',
      });
      expect(seen).toEqual([]);

      // The project's own read token and a signed-in user get in, and the handler knows the project.
      expect(await get({ authorization: `Bearer ${t.readToken}` })).toEqual({
        status: 200,
        error: undefined,
      });
      const session = await signIn(t, LOGIN);
      expect(await get({ cookie: session.cookie })).toEqual({ status: 200, error: undefined });
      expect(seen).toEqual([
        { id: t.projectId, reader: 'token' },
        { id: t.projectId, reader: 'user' },
      ]);
    } finally {
      seen.length = 0;
      await t.server.close();
    }
  });

  test('a route that needs a login refuses a read token with its own message and a cookie without its CSRF token', async () => {
    const t = await startServer({ db: `${temp.dir}/notes-login.db` }, { extend: notes });
    try {
      const session = await signIn(t, LOGIN);
      const url = `${t.url}/api/projects/${t.projectId}/notes`;
      const post = async (headers: Record<string, string>) => {
        const res = await fetch(url, { method: 'POST', headers });
        return { status: res.status, body: await jsonOf(res) };
      };

      const token = await post({ authorization: `Bearer ${t.readToken}` });
      expect(token).toEqual({
        status: 403,
        body: { error: 'login_required', message: 'Writing notes needs a dashboard login.' },
      });
      const noCsrf = await post({ cookie: session.cookie });
      expect([noCsrf.status, noCsrf.body.error]).toEqual([403, 'csrf_token_missing']);
      expect(seen).toEqual([]);

      const signedIn = await post({ cookie: session.cookie, 'x-csrf-token': session.csrf });
      expect(signedIn).toEqual({ status: 200, body: { written_by: LOGIN.email } });
    } finally {
      seen.length = 0;
      await t.server.close();
    }
  });
});
