import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from '../src';
import { runCli, startCli, type CliServer } from './cli-process';
import { tempDir } from './helpers';

/**
 * `--trust-proxy` through the real CLI: the login limit counts the address the server
 * believes, so a client must not be able to choose it with a forged X-Forwarded-For.
 */
const dir = tempDir();
afterAll(() => dir.remove());

let server: CliServer | undefined;
afterEach(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  server = undefined;
});

let attempts = 0;
/** One wrong login, each for a new email, so only the address's count grows. */
async function failedLogin(forwardedFor: string): Promise<number> {
  const res = await fetch(`${server!.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ email: `guess-${++attempts}@example.com`, password: 'wrong password' }),
  });
  await res.body?.cancel();
  return res.status;
}

async function start(trustProxy: string): Promise<void> {
  server = await startCli(dir.dir, ['--db', join(dir.dir, `${attempts}.db`), '--trust-proxy', trustProxy]);
}

describe('--trust-proxy', () => {
  test('a forged X-Forwarded-For from a peer that is not a trusted proxy does not change the counted address', async () => {
    await start('10.0.0.1'); // the tests connect from 127.0.0.1, which is not that proxy
    for (let i = 1; i <= 5; i++) expect(await failedLogin(`198.51.100.${i}`)).toBe(401);
    // Every guess came from 127.0.0.1, whatever the header said: the sixth is refused.
    expect(await failedLogin('198.51.100.6')).toBe(429);
  });

  test('with a hop count, the address the proxy appended counts, not what the client wrote before it', async () => {
    await start('1');
    // What nginx forwards for a client at 203.0.113.7 that sent its own X-Forwarded-For.
    for (let i = 1; i <= 5; i++) expect(await failedLogin(`198.51.100.${i}, 203.0.113.7`)).toBe(401);
    expect(await failedLogin('198.51.100.6, 203.0.113.7')).toBe(429);
    // Another client behind the same proxy has its own count.
    expect(await failedLogin('198.51.100.6, 203.0.113.8')).toBe(401);
  });

  test('a trusted proxy address: each client behind it is counted on its own', async () => {
    await start('127.0.0.1');
    for (let i = 1; i <= 5; i++) expect(await failedLogin('203.0.113.7')).toBe(401);
    expect(await failedLogin('198.51.100.1, 203.0.113.7')).toBe(429);
    expect(await failedLogin('203.0.113.8')).toBe(401);
  });

  test.each([
    ['0.0.0.0/0', /"0\.0\.0\.0\/0" is every address/],
    ['::/0', /"::\/0" is every address/],
    ['true', /"true"/],
    ['0', /"0".*leave the setting out/],
    ['-1', /"-1"/],
    ['1.5', /"1.5"/],
    ['10.0.0.300', /"10\.0\.0\.300" is not an IP address/],
    ['10.0.0.0/33', /"10\.0\.0\.0\/33" is not an IP address/],
    ['127.0.0.1,,10.0.0.1', /trusting every hop/],
    ['*', /"\*" is not an IP address/],
  ])('--trust-proxy %s is refused with exit code 2, naming the value', (value, message) => {
    const res = runCli(dir.dir, [
      'start',
      '--port',
      '0',
      '--db',
      join(dir.dir, 'bad.db'),
      '--trust-proxy',
      value,
    ]);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/--trust-proxy/);
    expect(res.stderr).toMatch(message);
  });

  test('--trust-proxy without a value is refused: there is no "trust every hop"', () => {
    const res = runCli(dir.dir, ['start', '--port', '0', '--db', join(dir.dir, 'bad.db'), '--trust-proxy']);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/--trust-proxy needs a value/);
  });

  test('createServer refuses trustProxy: true, naming the setting', async () => {
    await expect(
      createServer({ db: join(dir.dir, 'api.db'), port: 0, trustProxy: true as unknown as number }),
    ).rejects.toThrow(/Invalid trustProxy true: .*trusting every hop/);
  });
});

describe('a hop count believes only a proxy-like peer', () => {
  /**
   * No public address is there to connect from, so a Node process running the built server
   * injects each login with a public (or private) socket address: the real Fastify proxy
   * resolution, login limiter and SQLite. (Jest cannot load Fastify's injector, an ES module.)
   */
  function failedLogins(peer: string): number[] {
    const script = `
      const { createServer } = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
      (async () => {
        const server = await createServer({ db: process.argv[2], port: 0, trustProxy: 1 });
        const statuses = [];
        for (let i = 1; i <= 6; i++) {
          const res = await server.app.inject({
            method: 'POST', url: '/api/auth/login', remoteAddress: process.argv[1],
            headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.' + i },
            payload: { email: 'hop-' + i + '@example.com', password: 'wrong password' },
          });
          statuses.push(res.statusCode);
        }
        await server.close();
        console.log(JSON.stringify(statuses));
      })();`;
    const res = spawnSync(process.execPath, ['-e', script, peer, join(dir.dir, `peer-${peer}.db`)], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.stderr).toBe('');
    return JSON.parse(res.stdout);
  }

  test('a client reaching the port from a public address cannot choose its address with X-Forwarded-For', () => {
    // Each guess names another address; all come from 203.0.113.9, so the sixth is refused.
    expect(failedLogins('203.0.113.9')).toEqual([401, 401, 401, 401, 401, 429]);
  });

  test('a proxy on a private network is believed: each client behind it is counted on its own', () => {
    expect(failedLogins('10.1.2.3')).toEqual([401, 401, 401, 401, 401, 401]);
  });

  test('without --trust-proxy, the first request carrying X-Forwarded-For logs one warning naming the fix', async () => {
    const lines: string[] = [];
    const app = await createServer({
      db: join(dir.dir, 'untrusted.db'),
      port: 0,
      logger: { level: 'warn', stream: { write: (line: string) => void lines.push(line) } },
    });
    const url = await app.listen();
    try {
      for (const forwardedFor of ['203.0.113.7', '203.0.113.8', undefined])
        await fetch(`${url}/api/health`, {
          headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
        });
      const warnings = lines.filter((l) => l.includes('X-Forwarded-For'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("start with '--trust-proxy 127.0.0.1'");
    } finally {
      await app.close();
    }
  });
});
