import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, CSRF_HEADER, dashboard, type AgentSudoServer } from '../src';

/**
 * Every state-changing call of a login session needs the session's CSRF token, whatever
 * its Origin says: missing, `null` (a redirected form post) or the server's own; and the
 * token is enough, whatever the Origin (a proxy may pass its own Host).
 */
const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };
let dir: string;
let server: AgentSudoServer;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentsudo-csrf-'));
  server = await createServer({
    db: join(dir, 'agentsudo.db'),
    port: 0,
    extend: dashboard({ publicDir: dir }),
  });
  await server.admin.createUser(LOGIN.email, LOGIN.password);
  url = await server.listen();
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function logIn(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(LOGIN),
  });
  const body = (await res.json()) as { csrf_token: string };
  return { cookie: res.headers.get('set-cookie')!.split(';')[0], csrf: body.csrf_token };
}

async function post(path: string, headers: Record<string, string>) {
  const res = await fetch(`${url}${path}`, {
    method: path.includes('/keys/key_') ? 'DELETE' : 'POST',
    headers: path === '/api/projects' ? { 'content-type': 'application/json', ...headers } : headers,
    body: path === '/api/projects' ? JSON.stringify({ name: `p-${Math.random()}` }) : undefined,
  });
  return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
}

describe('state-changing calls of a login session', () => {
  let projectId: string;
  let keyId: string;
  const routes = () => [
    '/api/projects',
    `/api/projects/${projectId}/keys/rotate`,
    `/api/projects/${projectId}/read-tokens`,
    `/api/projects/${projectId}/keys/${keyId}`,
    '/api/auth/logout',
  ];
  beforeAll(async () => {
    const { project } = await server.admin.createProject('target');
    projectId = project.id;
    keyId = (await server.storage.accounts.listKeys(projectId))[0].id;
  });

  test.each<[string, { origin?: string }]>([
    ['Origin: null', { origin: 'null' }],
    ['no Origin', {}],
    ['the server’s own Origin', { origin: 'own' }],
  ])('with %s and no CSRF token are refused with 403, and change nothing', async (_, extra) => {
    const { cookie } = await logIn();
    const headers = { cookie, ...(extra.origin === 'own' ? { origin: url } : extra) };
    for (const path of routes()) {
      const answer = await post(path, headers);
      expect({ path, ...answer }).toMatchObject({ path, status: 403, body: { error: 'csrf_token_missing' } });
      expect(answer.body.message).toContain('x-csrf-token');
    }
    expect((await server.storage.accounts.listProjects()).map((p) => p.name)).toEqual(['target']);
    expect((await server.storage.accounts.listKeys(projectId)).map((k) => [k.kind, !!k.revokedAt])).toEqual([
      ['ingest', false],
    ]);
    // Still logged in.
    expect((await fetch(`${url}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
  });

  test('another login’s token is refused', async () => {
    const { cookie } = await logIn();
    const other = await logIn();
    const answer = await post(`/api/projects/${projectId}/read-tokens`, {
      cookie,
      [CSRF_HEADER]: other.csrf,
    });
    expect(answer).toMatchObject({ status: 403, body: { error: 'csrf_token_invalid' } });
  });

  test('behind a proxy that passes its own Host (Origin differs), the token is enough', async () => {
    // nginx's default proxy_pass: the browser's Origin is the public address, the Host the
    // server sees is the upstream's, and no X-Forwarded-Host says otherwise.
    const { cookie, csrf } = await logIn();
    const behindProxy = { cookie, origin: 'https://audit.example.com' };
    const answer = await post(`/api/projects/${projectId}/read-tokens`, {
      ...behindProxy,
      [CSRF_HEADER]: csrf,
    });
    expect(answer.status).toBe(201);
    // Without the token the same request is refused.
    expect(await post(`/api/projects/${projectId}/read-tokens`, behindProxy)).toMatchObject({
      status: 403,
      body: { error: 'csrf_token_missing' },
    });
    expect((await post('/api/auth/logout', { ...behindProxy, [CSRF_HEADER]: csrf })).status).toBe(200);
  });

  test('with the token they go through; GET /api/auth/me answers the same token after a reload', async () => {
    const { cookie, csrf } = await logIn();
    const me = (await (await fetch(`${url}/api/auth/me`, { headers: { cookie } })).json()) as {
      csrf_token: string;
    };
    expect(me.csrf_token).toBe(csrf);
    const headers = { cookie, [CSRF_HEADER]: csrf, origin: url };
    expect((await post(`/api/projects/${projectId}/read-tokens`, headers)).status).toBe(201);
    expect((await post('/api/auth/logout', headers)).status).toBe(200);
    expect((await fetch(`${url}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
  });
});
