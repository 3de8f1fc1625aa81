import { createServer, LoginLimiter, openStorage, type AgentSudoServer, type StorageOptions } from '../src';
import { backends, freshDatabase } from './helpers';

const PASSWORD = 'correct horse battery staple';

async function start(storage: StorageOptions): Promise<{ server: AgentSudoServer; url: string }> {
  const server = await createServer({ ...storage, port: 0 });
  return { server, url: await server.listen() };
}

function login(url: string, email: string, password: string): Promise<Response> {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

describe.each(backends())('login limit on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('parallel guesses get five tries between them, and the right password waits too', async () => {
    const storage = await backend.fresh();
    const { server, url } = await start(storage);
    try {
      await server.admin.createUser('ops@example.com', PASSWORD);
      const guesses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => login(url, 'ops@example.com', `guess number ${i}`)),
      );
      const statuses = guesses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      const right = await login(url, 'ops@example.com', PASSWORD);
      expect(right.status).toBe(429);
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(800);
      // The dashboard shows this message: a wait a person reads, not "896 s".
      expect(((await right.json()) as { message: string }).message).toMatch(
        /^Too many failed logins; try again in 1[45] minutes\.$/,
      );
    } finally {
      await server.close();
    }
  });

  test('a restart keeps the count', async () => {
    const storage = await backend.fresh();
    const first = await start(storage);
    await first.server.admin.createUser('ops@example.com', PASSWORD);
    for (let i = 0; i < 5; i++)
      expect((await login(first.url, 'ops@example.com', 'wrong guess')).status).toBe(401);
    await first.server.close();
    const second = await start(storage);
    try {
      expect((await login(second.url, 'ops@example.com', PASSWORD)).status).toBe(429);
    } finally {
      await second.server.close();
    }
  });

  test('the window slides: old tries stop counting, and a success clears the count', async () => {
    const storage = await openStorage(await backend.fresh());
    try {
      const limiter = new LoginLimiter(storage.loginAttempts, { maxFailures: 3, windowMs: 60_000 });
      const keys = ['ip:203.0.113.7', 'email:ops@example.com'];
      const t0 = 1_800_000_000_000;
      for (let i = 0; i < 3; i++) expect((await limiter.attempt(keys, t0 + i * 1000)).retryAfterMs).toBe(0);
      // Refused until the oldest try is a minute old; refusals themselves do not count.
      expect((await limiter.attempt(keys, t0 + 10_000)).retryAfterMs).toBe(50_000);
      expect((await limiter.attempt(keys, t0 + 30_000)).retryAfterMs).toBe(30_000);
      const later = await limiter.attempt(keys, t0 + 60_000);
      expect(later.retryAfterMs).toBe(0);
      await later.succeeded();
      // Another address is counted on its own.
      for (let i = 0; i < 3; i++)
        expect((await limiter.attempt(['ip:198.51.100.1'], t0 + 61_000)).retryAfterMs).toBe(0);
      expect((await limiter.attempt(['ip:198.51.100.1'], t0 + 61_000)).retryAfterMs).toBeGreaterThan(0);
      expect((await limiter.attempt(keys, t0 + 61_000)).retryAfterMs).toBe(0);
    } finally {
      await storage.close();
    }
  });
});

describe('login limit across two instances on one PostgreSQL', () => {
  test('tries through instance A count on instance B', async () => {
    const db = await freshDatabase();
    const a = await start({ databaseUrl: db.url });
    const b = await start({ databaseUrl: db.url });
    try {
      await a.server.admin.createUser('ops@example.com', PASSWORD);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await login(i % 2 ? b.url : a.url, 'ops@example.com', 'wrong guess')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      expect((await login(a.url, 'ops@example.com', PASSWORD)).status).toBe(429);
    } finally {
      await a.server.close();
      await b.server.close();
      await db.drop();
    }
  });
});
