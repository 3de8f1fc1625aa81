import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createServer, type AgentSudoServer, type ServerOptions, type StorageOptions } from '../src';

/**
 * A place for one test file's SQLite files, removed afterwards. Made on first use, not
 * when the file loads: Jest skips the hooks of a block whose tests are all filtered out
 * (`jest -t 'on postgres'`), so a folder made at load time would be left behind.
 */
export function tempDir(): { readonly dir: string; remove(): void } {
  let made: string | undefined;
  return {
    get dir() {
      return (made ??= mkdtempSync(join(tmpdir(), 'agentsudo-server-test-')));
    },
    remove: () => {
      if (made !== undefined) rmSync(made, { recursive: true, force: true });
    },
  };
}

function adminUrl(): string {
  const url = process.env.AGENTSUDO_TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'AGENTSUDO_TEST_DATABASE_URL is not set; run the tests through jest (its global setup starts PostgreSQL).',
    );
  return url;
}

/** A fresh PostgreSQL database on the test server; drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `agentsudo_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** One storage backend under test: how to get fresh storage options, and cleanup. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Fresh, empty storage options (a new file or a new database). */
  fresh(): Promise<StorageOptions>;
  cleanup(): Promise<void>;
}

/** Both backends: a SQLite file in a temp dir and a database on the test PostgreSQL. */
export function backends(): Backend[] {
  const dir = tempDir();
  const dbs: Array<{ drop(): Promise<void> }> = [];
  return [
    {
      name: 'sqlite',
      fresh: async () => ({ db: join(dir.dir, `${randomUUID()}.db`) }),
      cleanup: async () => dir.remove(),
    },
    {
      name: 'postgres',
      fresh: async () => {
        const db = await freshDatabase();
        dbs.push(db);
        return { databaseUrl: db.url };
      },
      cleanup: async () => {
        for (const db of dbs.splice(0)) await db.drop();
      },
    },
  ];
}

/** A wire event like the SDK sends; override any field. */
export function wire(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    timestamp: new Date().toISOString(),
    agent_name: 'SupportBot',
    action: 'permission_check',
    scope: 'read:customers',
    allowed: true,
    function_name: 'CustomerService.getCustomer',
    sdk: 'agentsudo-js/0.1.0',
    ...overrides,
  };
}

/** A running server on a free port with one project, its API key and a read token. */
export interface TestServer {
  server: AgentSudoServer;
  url: string;
  projectId: string;
  apiKey: string;
  readToken: string;
  /** POST /api/events with the project's key. */
  ingest(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** GET with the read token; returns the parsed JSON and the status. */
  read<T = any>(path: string): Promise<{ status: number; body: T }>;
}

export async function startServer(storage: StorageOptions, options: ServerOptions = {}): Promise<TestServer> {
  const server = await createServer({ ...storage, port: 0, ...options });
  const { project, apiKey } = await server.admin.createProject('test-project');
  const { token } = await server.admin.createReadToken(project.id);
  const url = await server.listen();
  return {
    server,
    url,
    projectId: project.id,
    apiKey,
    readToken: token,
    ingest: (body, headers = {}) =>
      fetch(`${url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...headers },
        body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
      }),
    read: async (path) => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: await jsonOf(res) };
    },
  };
}

/** A Server-Sent Events client over node:http that collects each `data:` message. */
export interface LiveClient {
  events: any[];
  /** Named messages (`event: skipped`, …) with their parsed data, in arrival order. */
  named: Array<{ event: string; data: any }>;
  /** Resolves once `n` events arrived (or rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<any[]>;
  /** Resolves when the server ends the stream (or it is closed here). */
  ended: Promise<void>;
  close(): void;
}

export function openLive(url: string, headers: Record<string, string>): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`live feed answered ${res.statusCode}`));
        res.resume();
        return;
      }
      const events: any[] = [];
      const named: LiveClient['named'] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = message.split('\n');
          const data = lines
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          const name = lines.find((l) => l.startsWith('event: '))?.slice(7);
          if (data && name) named.push({ event: name, data: JSON.parse(data) });
          else if (data) events.push(JSON.parse(data));
        }
      });
      res.on('error', () => undefined);
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      resolve({
        ended,
        events,
        named,
        async waitFor(n, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (events.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          if (events.length < n) throw new Error(`expected ${n} live events, got ${events.length}`);
          return events;
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/**
 * A response's JSON body, typed as the test expects it (fetch types it `unknown`).
 *
 * @example
 * ```ts
 * expect((await jsonOf<{ error: string }>(res)).error).toBe('invalid_event');
 * ```
 */
export async function jsonOf<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** A dashboard login as a browser holds it: the session cookie and its CSRF token. */
export interface DashboardSession {
  cookie: string;
  csrf: string;
}

/**
 * Creates the dashboard user `login` on the test server and signs in as it, as the login
 * page does.
 */
export async function signIn(
  t: TestServer,
  login: { email: string; password: string },
): Promise<DashboardSession> {
  await t.server.admin.createUser(login.email, login.password);
  const res = await fetch(`${t.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  return {
    cookie: res.headers.get('set-cookie')!.split(';')[0],
    csrf: (await jsonOf<{ csrf_token: string }>(res)).csrf_token,
  };
}

/** A project route as the credential tables call it: method, path, and whether it reads or changes. */
export type GuardedRoute = readonly [method: string, path: string, kind: 'read' | 'write'];

/** The credentials a project's dashboard routes must refuse, as request headers. */
export interface RefusedCredentials {
  none: Record<string, string>;
  /** A bearer that is no key or token at all. */
  garbage: Record<string, string>;
  /** The project's own ingest key: for the SDK's routes, never the dashboard's. */
  ingestKey: Record<string, string>;
  /** The project's read token: reads, never changes. */
  read: Record<string, string>;
  /** Another project's read token. */
  otherRead: Record<string, string>;
  /** A signed-in user's session cookie without its CSRF token. */
  cookieWithoutCsrf: Record<string, string>;
}

/**
 * Calls every route with every credential it must refuse, and checks each answer: 401
 * without a credential or with a garbage one; 403 for the ingest key; 404 for another
 * project's read token on a read (no such project for it), 403 on a change; 403 for this
 * project's read token on a change, and for a session cookie without its CSRF token on
 * anything but a GET. Each failure names the route.
 *
 * @example
 * ```ts
 * await expectRefusals([['GET', `${p}/keys`, 'write']], status, credentials);
 * ```
 */
export async function expectRefusals(
  routes: readonly GuardedRoute[],
  status: (method: string, path: string, headers: Record<string, string>) => Promise<number>,
  as: RefusedCredentials,
): Promise<void> {
  for (const [method, path, kind] of routes) {
    const where = `${method} ${path}`;
    expect([where, await status(method, path, as.none)]).toEqual([where, 401]);
    expect([where, await status(method, path, as.garbage)]).toEqual([where, 401]);
    expect([where, await status(method, path, as.ingestKey)]).toEqual([where, 403]);
    // Another project's read token: no such project for it to read, and never one to change.
    expect([where, await status(method, path, as.otherRead)]).toEqual([where, kind === 'read' ? 404 : 403]);
    if (kind === 'write') expect([where, await status(method, path, as.read)]).toEqual([where, 403]);
    if (method !== 'GET')
      expect([where, await status(method, path, as.cookieWithoutCsrf)]).toEqual([where, 403]);
  }
}
