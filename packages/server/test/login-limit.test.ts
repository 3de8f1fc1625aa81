import {
  createServer,
  LoginLimiter,
  loginKeys,
  openStorage,
  type AgentSudoServer,
  type StorageOptions,
} from '../src';
import { backends, freshDatabase } from './helpers';

const PASSWORD = 'correct horse battery staple';

async function start(
  storage: StorageOptions,
  options: { trustProxy?: string } = {},
): Promise<{ server: AgentSudoServer; url: string }> {
  const server = await createServer({ ...storage, ...options, port: 0 });
  return { server, url: await server.listen() };
}

/** A login; `from` is the client address a trusted proxy on 127.0.0.1 says it came from. */
function login(url: string, email: string, password: string, from?: string): Promise<Response> {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
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

  test("someone who knows a login's email cannot lock its owner out from another address", async () => {
    const { server, url } = await start(await backend.fresh(), { trustProxy: '127.0.0.1' });
    try {
      await server.admin.createUser('ops@example.com', PASSWORD);
      await server.admin.createUser('dev@example.com', PASSWORD);
      for (let i = 0; i < 5; i++)
        expect((await login(url, 'ops@example.com', `guess ${i}`, '203.0.113.7')).status).toBe(401);
      // The guesser's address is stopped, for every login tried from it...
      expect((await login(url, 'ops@example.com', PASSWORD, '203.0.113.7')).status).toBe(429);
      expect((await login(url, 'dev@example.com', PASSWORD, '203.0.113.7')).status).toBe(429);
      // ...while the owner, at their own address, logs in.
      expect((await login(url, 'ops@example.com', PASSWORD, '198.51.100.20')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('a guesser spread over many addresses is stopped per login, at its own higher limit', async () => {
    const storage = await openStorage(await backend.fresh());
    try {
      const limiter = new LoginLimiter(storage.loginAttempts, {
        maxFailures: 3,
        maxFailuresPerEmail: 6,
        windowMs: 60_000,
      });
      const t0 = 1_800_000_000_000;
      for (let i = 0; i < 6; i++)
        expect(
          (await limiter.attempt(loginKeys.of(`203.0.113.${i}`, 'ops@example.com'), t0)).retryAfterMs,
        ).toBe(0);
      // The seventh, from a fresh address, waits; another login from that address does not.
      expect((await limiter.attempt(loginKeys.of('198.51.100.20', 'ops@example.com'), t0)).retryAfterMs).toBe(
        60_000,
      );
      expect((await limiter.attempt(loginKeys.of('198.51.100.20', 'dev@example.com'), t0)).retryAfterMs).toBe(
        0,
      );
      expect((await limiter.lockouts(t0)).map((l) => l.key)).toEqual(['email:ops@example.com']);
      // Lifting a login lifts it from every address, and only it.
      await limiter.unlock({ email: 'OPS@example.com' }, t0);
      expect((await limiter.lockouts(t0)).map((l) => l.key)).toEqual([]);
      expect((await storage.loginAttempts.count(0)).map((c) => c.key).sort()).toEqual(
        [
          'email:dev@example.com',
          'ip:198.51.100.20',
          'login:198.51.100.20 dev@example.com',
          ...Array.from({ length: 6 }, (_, i) => `ip:203.0.113.${i}`),
        ].sort(),
      );
    } finally {
      await storage.close();
    }
  });

  test('an email no user can have (control characters) counts against the address only', async () => {
    const storage = await backend.fresh();
    const { server, url } = await start(storage);
    try {
      const forged = 'x\r\x1b[2KNo lockouts\x1b[8m@example.com';
      for (let i = 0; i < 5; i++) expect((await login(url, forged, 'wrong guess')).status).toBe(401);
      const opened = await openStorage(storage);
      try {
        const keys = (await opened.loginAttempts.count(0)).map((c) => c.key);
        expect(keys).toEqual(['ip:127.0.0.1']);
      } finally {
        await opened.close();
      }
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
      const limiter = new LoginLimiter(storage.loginAttempts, {
        maxFailures: 3,
        maxFailuresPerEmail: 30,
        windowMs: 60_000,
      });
      const keys = loginKeys.of('203.0.113.7', 'ops@example.com');
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
