import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, dashboard, type AgentSudoServer } from '../src';
import { expectRefusals, type GuardedRoute } from './helpers';

/**
 * The dashboard's server side over real HTTP: the page and its headers, and the project
 * and key management routes, including every way a request can be refused.
 */
let dir: string;
let server: AgentSudoServer;
let url: string;
let cookie: string;
/** The login's CSRF token, which the dashboard sends with every state-changing call. */
let csrf: string;

const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentsudo-dashboard-routes-'));
  const publicDir = join(dir, 'public');
  mkdirSync(publicDir);
  writeFileSync(join(publicDir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(publicDir, 'app.js'), 'console.log("app")');
  server = await createServer({ db: join(dir, 'agentsudo.db'), port: 0, extend: dashboard({ publicDir }) });
  await server.admin.createUser(LOGIN.email, LOGIN.password);
  url = await server.listen();
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(LOGIN),
  });
  cookie = login.headers.get('set-cookie')!.split(';')[0];
  csrf = ((await login.json()) as { csrf_token: string }).csrf_token;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { cookie, 'x-csrf-token': csrf },
) {
  return fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Sends events with an ingest key (one allowed check by default). */
function ingest(
  key: string,
  events: object[] = [{ agent_name: 'Bot', action: 'permission_check', allowed: true }],
) {
  const body = events.map((e) => ({ timestamp: new Date().toISOString(), ...e }));
  return fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
}

describe('the page', () => {
  test('is served at / with a strict content security policy', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<div id="app">');
  });

  test('serves only the bundle’s own files', async () => {
    expect((await fetch(`${url}/app.js`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${url}/styles.css`)).status).toBe(404);
    expect((await fetch(`${url}/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/package.json`)).status).toBe(404);
  });

  test('says how to build it when the bundle is missing', async () => {
    const bare = await createServer({
      db: join(dir, 'bare.db'),
      port: 0,
      extend: dashboard({ publicDir: join(dir, 'nowhere') }),
    });
    try {
      const response = await fetch(`${await bare.listen()}/`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build -w @agentsudo/server');
    } finally {
      await bare.close();
    }
  });
});

describe('projects and keys', () => {
  test('a signed-in user creates a project and gets its key once; the key ingests', async () => {
    const response = await call('POST', '/api/projects', { name: 'checkout' });
    expect(response.status).toBe(201);
    const { project, api_key } = (await response.json()) as {
      project: { id: string; name: string };
      api_key: string;
    };
    expect(project.name).toBe('checkout');
    expect(api_key).toMatch(/^as_/);
    const keys = (await (await call('GET', `/api/projects/${project.id}/keys`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).toMatchObject({ kind: 'ingest', prefix: api_key.slice(0, 11) });
    expect(JSON.stringify(keys)).not.toContain(api_key);
    expect((await ingest(api_key)).status).toBe(200);
  });

  test('a bad or taken name is a 400 or 409 naming the problem', async () => {
    const bad = await call('POST', '/api/projects', { name: '../etc' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('project name');
    const taken = await call('POST', '/api/projects', { name: 'checkout' });
    expect(taken.status).toBe(409);
    const missing = await call('POST', '/api/projects', {});
    expect(missing.status).toBe(400);
  });

  test('without a login nothing is created or listed', async () => {
    expect((await call('POST', '/api/projects', { name: 'nope' }, {})).status).toBe(401);
    const project = (await server.storage.accounts.findProject('checkout'))!;
    expect((await call('GET', `/api/projects/${project.id}/keys`, undefined, {})).status).toBe(401);
    expect(await server.storage.accounts.findProject('nope')).toBeUndefined();
  });

  test('a read token can read events but not manage keys', async () => {
    const project = (await server.storage.accounts.findProject('checkout'))!;
    const { token } = await server.admin.createReadToken(project.id);
    const auth = { authorization: `Bearer ${token}` };
    expect((await call('GET', `/api/projects/${project.id}/events`, undefined, auth)).status).toBe(200);
    const rotate = await call('POST', `/api/projects/${project.id}/keys/rotate`, undefined, auth);
    expect(rotate.status).toBe(403);
    expect(((await rotate.json()) as { error: string }).error).toBe('login_required');
  });

  test('a request from another site is refused even with the cookie (it cannot know the CSRF token)', async () => {
    const response = await call(
      'POST',
      '/api/projects',
      { name: 'evil' },
      { cookie, origin: 'https://evil.example' },
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('csrf_token_missing');
    expect(await server.storage.accounts.findProject('evil')).toBeUndefined();
  });

  test('rotating issues a new key and revokes the old one at once', async () => {
    const { project, apiKey } = await server.admin.createProject('rotation');
    const rotated = (await (await call('POST', `/api/projects/${project.id}/keys/rotate`)).json()) as {
      api_key: string;
      revoked: string[];
    };
    expect(rotated.revoked).toEqual([apiKey.slice(0, 11)]);
    expect((await ingest(apiKey)).status).toBe(401);
    expect((await ingest(rotated.api_key)).status).toBe(200);
  });

  test('revoking takes a key id of that project only', async () => {
    const a = await server.admin.createProject('team-a');
    const b = await server.admin.createProject('team-b');
    const [keyOfB] = await server.storage.accounts.listKeys(b.project.id);
    const across = await call('DELETE', `/api/projects/${a.project.id}/keys/${keyOfB.id}`);
    expect(across.status).toBe(404);
    const revoked = await call('DELETE', `/api/projects/${b.project.id}/keys/${keyOfB.id}`);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { key: { revoked_at?: string } }).key.revoked_at).toBeDefined();
    expect((await call('GET', `/api/projects/prj_unknown/keys`)).status).toBe(404);
  });
});

describe('every credential that may not call a route', () => {
  test('is refused by each dashboard project route, and nothing is created, rotated or revoked', async () => {
    const { project, apiKey } = await server.admin.createProject('refusals');
    const other = await server.admin.createProject('refusals-other');
    const { token: readToken } = await server.admin.createReadToken(project.id);
    const { token: otherRead } = await server.admin.createReadToken(other.project.id);
    const [key] = await server.storage.accounts.listKeys(project.id);
    // The ingest key and the read token, neither revoked.
    const before = (await server.storage.accounts.listKeys(project.id)).map((k) => [
      k.id,
      k.revokedAt ?? null,
    ]);
    const p = `/api/projects/${project.id}`;
    const status = async (method: string, path: string, headers: Record<string, string>) => {
      const res = await call(method, path, method === 'POST' ? {} : undefined, headers);
      await res.body?.cancel();
      return res.status;
    };
    const none = {};
    const garbage = { authorization: 'Bearer as_not_a_real_key_at_all_000000' };
    const ingestKey = { authorization: `Bearer ${apiKey}` };
    const read = { authorization: `Bearer ${readToken}` };
    const otherToken = { authorization: `Bearer ${otherRead}` };
    const noCsrf = { cookie };
    const routes: GuardedRoute[] = [
      ['GET', `${p}/agent-activity`, 'read'],
      ['GET', `${p}/keys`, 'write'],
      ['POST', `${p}/keys/rotate`, 'write'],
      ['POST', `${p}/read-tokens`, 'write'],
      ['DELETE', `${p}/keys/${key.id}`, 'write'],
    ];
    await expectRefusals(routes, status, {
      none,
      garbage,
      ingestKey,
      read,
      otherRead: otherToken,
      cookieWithoutCsrf: noCsrf,
    });
    const after = await server.storage.accounts.listKeys(project.id);
    expect(after.map((k) => [k.id, k.revokedAt ?? null])).toEqual(before);
    expect(before).toHaveLength(2);
    expect((await ingest(apiKey)).status).toBe(200);
  });
});

describe('agent activity', () => {
  test('counts each agent’s events per slice of the range', async () => {
    const { project, apiKey } = await server.admin.createProject('activity');
    const now = Date.now();
    const at = (minutesAgo: number, agent: string, allowed: boolean) => ({
      timestamp: new Date(now - minutesAgo * 60_000).toISOString(),
      agent_name: agent,
      action: 'permission_check',
      scope: 'read:x',
      allowed,
    });
    await ingest(apiKey, [at(55, 'A', true), at(55, 'A', false), at(5, 'A', true), at(5, 'B', false)]);
    const from = new Date(now - 60 * 60_000).toISOString();
    const to = new Date(now).toISOString();
    const response = await call(
      'GET',
      `/api/projects/${project.id}/agent-activity?from=${from}&to=${to}&points=6`,
    );
    const body = (await response.json()) as {
      agents: Array<{ agent_name: string; points: Array<{ events: number; denied: number }> }>;
    };
    expect(body.agents.map((a) => a.agent_name)).toEqual(['A', 'B']);
    const a = body.agents[0].points;
    expect(a).toHaveLength(6);
    expect(a[0]).toEqual(expect.objectContaining({ events: 2, denied: 1 }));
    expect(a[5]).toEqual(expect.objectContaining({ events: 1, denied: 0 }));
    expect(body.agents[1].points[5]).toEqual(expect.objectContaining({ events: 1, denied: 1 }));
  });

  test('a bad points value is a 400 naming it', async () => {
    const project = (await server.storage.accounts.findProject('activity'))!;
    const response = await call('GET', `/api/projects/${project.id}/agent-activity?points=1000`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'points' });
  });
});
