import { join } from 'node:path';
import { openLive, startServer, tempDir, wire, type TestServer, jsonOf } from './helpers';

const PASSWORD = 'correct horse battery staple';
const dir = tempDir();
let t: TestServer;
let cookie: string;
let other: { id: string; name: string };

beforeAll(async () => {
  t = await startServer({ db: join(dir.dir, 'address.db') });
  other = (await t.server.admin.createProject('other-project')).project;
  await t.server.admin.createUser('ops@example.com', PASSWORD);
  const res = await fetch(`${t.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@example.com', password: PASSWORD }),
  });
  cookie = res.headers.get('set-cookie')!.split(';')[0];
  await t.ingest([wire(), wire({ allowed: false, scope: 'write:refunds' })]);
});
afterAll(async () => {
  await t.server.close();
  dir.remove();
});

const ROUTES = ['events', 'stats', 'agents', 'export'];

describe('projects in read URLs are addressed by id', () => {
  test('a dashboard user naming a project by its name gets 404 saying to use the id, not an empty 200', async () => {
    for (const route of ROUTES) {
      const res = await fetch(`${t.url}/api/projects/test-project/${route}`, { headers: { cookie } });
      const body = await jsonOf(res);
      expect([route, res.status, body.error]).toEqual([route, 404, 'project_not_found']);
      expect(body.message).toContain('"test-project"');
      expect(body.message).toContain('by its id');
    }
    await expect(openLive(`${t.url}/api/projects/test-project/live`, { cookie })).rejects.toThrow(/404/);
  });

  test('the same user reading by id gets the events', async () => {
    const res = await fetch(`${t.url}/api/projects/${t.projectId}/events`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).events).toHaveLength(2);
  });

  test("a read token gets the same 404 for its own project's name and for another's, learning nothing", async () => {
    for (const route of ROUTES) {
      const own = await t.read(`/api/projects/test-project/${route}`);
      const theirs = await t.read(`/api/projects/other-project/${route}`);
      const byId = await t.read(`/api/projects/${other.id}/${route}`);
      const unknown = await t.read(`/api/projects/no-such-project/${route}`);
      for (const answer of [own, theirs, byId, unknown]) {
        expect([route, answer.status, answer.body.error]).toEqual([route, 404, 'project_not_found']);
      }
      expect(theirs.body.message).toBe(unknown.body.message.replace('no-such-project', 'other-project'));
      expect(theirs.body.message).not.toContain(other.id);
    }
  });
});
