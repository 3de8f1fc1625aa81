import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { freePort } from '../../../test-support/postgres';
import { startTestRedis, type TestRedis } from '../../../test-support/redis';
import { LimitStoreUnavailableError, postgresLimitStore, redisLimitStore } from '../src';

const request = () => ({
  key: 'RefundBot:write:refunds',
  amount: 1,
  max: 10,
  windowMs: 3_600_000,
  reservationId: randomUUID(),
});

describe('a Redis limit store whose server stops', () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  const client = (options: { enableOfflineQueue?: boolean; maxRetriesPerRequest?: null } = {}) => {
    const c = new Redis(redis.url, { ...options, retryStrategy: () => 100 });
    c.on('error', () => undefined); // reconnect errors are expected here: the server is gone
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    redis = await startTestRedis(freePort());
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
    redis.stop();
  });

  test('rejects a reserve after timeoutMs with LimitStoreUnavailableError, though the client would queue it for ever', async () => {
    // maxRetriesPerRequest null: ioredis keeps a command until Redis is back, however long.
    const c = client({ maxRetriesPerRequest: null });
    const store = redisLimitStore({ client: c, timeoutMs: 300 });
    expect(await store.reserve(request())).toMatchObject({ ok: true });

    redis.stop();
    await new Promise<void>((resolve) => c.once('close', () => resolve()));

    const attempt = store.reserve(request());
    await expect(attempt).rejects.toBeInstanceOf(LimitStoreUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      store: 'redis',
      operation: 'reserve',
      key: 'RefundBot:write:refunds',
      timedOut: true,
      message:
        "The Redis limit store gave no answer within 300 ms (reserve for key 'RefundBot:write:refunds'). The limit " +
        'cannot be checked, so the call is denied unless failOpen is set. Check that Redis is running and reachable ' +
        "from this process, or raise the store's timeoutMs if it is only slow.",
    });
    await expect(
      store.settle({ key: 'k', reservationId: randomUUID(), actual: 0, windowMs: 1000 }),
    ).rejects.toMatchObject({
      store: 'redis',
      operation: 'settle',
      timedOut: true,
    });
  });

  test("with the client's offline queue off, rejects at once with the client's own error in the message", async () => {
    redis = await startTestRedis(freePort());
    const c = client({ enableOfflineQueue: false });
    await new Promise<void>((resolve) => c.once('ready', () => resolve()));
    const store = redisLimitStore({ client: c, timeoutMs: 60_000 });
    redis.stop();
    await new Promise<void>((resolve) => c.once('close', () => resolve()));

    const attempt = store.reserve(request());
    await expect(attempt).rejects.toBeInstanceOf(LimitStoreUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      store: 'redis',
      timedOut: false,
      message: expect.stringMatching(
        /^The Redis limit store failed: .*enableOfflineQueue.*\. The limit cannot be checked/,
      ),
    });
  });
});

describe('a PostgreSQL limit store that cannot reach its server', () => {
  test('a server that accepts connections but never answers: rejects after timeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const pool = new Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    pool.on('error', () => undefined);
    try {
      const store = postgresLimitStore({ pool, timeoutMs: 300 });
      const attempt = store.reserve(request());
      await expect(attempt).rejects.toBeInstanceOf(LimitStoreUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        store: 'postgres',
        operation: 'reserve',
        timedOut: true,
        message: expect.stringContaining('The PostgreSQL limit store gave no answer within 300 ms'),
      });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
      await pool.end();
    }
  });

  test('a port where nothing listens: rejects with the connection error in the message', async () => {
    const pool = new Pool({ connectionString: `postgres://postgres@127.0.0.1:${freePort()}/postgres` });
    try {
      const store = postgresLimitStore({ pool, timeoutMs: 60_000 });
      const attempt = store.reserve(request());
      await expect(attempt).rejects.toBeInstanceOf(LimitStoreUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        store: 'postgres',
        timedOut: false,
        message: expect.stringMatching(/^The PostgreSQL limit store failed: .*ECONNREFUSED/),
      });
    } finally {
      await pool.end();
    }
  });
});
