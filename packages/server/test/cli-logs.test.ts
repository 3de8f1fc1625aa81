import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, runCli } from './cli-process';
import { tempDir, wire } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

const PASSWORD = 'password-never-logged';
const QUERY_SECRET = 'query-secret-never-logged';

/**
 * Runs `agentsudo-server start` with `args` on a fresh SQLite file, sends the same requests a
 * first hour brings (the health check, a batch, a wrong key, a wrong and a right login, the
 * session's own check, a missing page), stops it with SIGTERM and returns what it printed
 * with the secrets it was sent.
 */
async function serveAndStop(args: string[], env: NodeJS.ProcessEnv = {}) {
  const db = join(dir.dir, `${Math.random().toString(36).slice(2)}.db`);
  const apiKey = /(as_[\w-]{32})/.exec(runCli(dir.dir, ['project', 'create', 'logs', '--db', db]).stdout)![1];
  runCli(dir.dir, ['user', 'create', 'ops@example.com', '--db', db], undefined, {
    AGENTSUDO_PASSWORD: PASSWORD,
  });
  const child = spawn(process.execPath, [CLI, 'start', '--port', '0', '--db', db, ...args], {
    cwd: dir.dir,
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  try {
    while (!/listening on http/.test(stdout) && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (http:\/\/\S+)/.exec(stdout)![1];
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const statuses = [(await fetch(`${url}/api/health?token=${QUERY_SECRET}`)).status];
    statuses.push((await post('/api/events', { 'x-api-key': apiKey }, [wire()])).status);
    statuses.push((await post('/api/events', { authorization: `Bearer ${apiKey}x` }, [wire()])).status);
    statuses.push(
      (await post('/api/auth/login', {}, { email: 'ops@example.com', password: `${PASSWORD}!` })).status,
    );
    const login = await post('/api/auth/login', {}, { email: 'ops@example.com', password: PASSWORD });
    statuses.push(login.status);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    statuses.push((await fetch(`${url}/api/auth/me`, { headers: { cookie } })).status);
    statuses.push((await fetch(`${url}/no-such-page`)).status);
    expect(statuses).toEqual([200, 200, 401, 401, 200, 200, 404]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    return { stdout, stderr, secrets: [apiKey, cookie.split('=')[1], PASSWORD, QUERY_SECRET] };
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
}

/** The request lines of text logs: `<time> <LEVEL> <method> <path> <status> <ms>ms <ip>`. */
const REQUEST_LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) +(GET|POST) (\S+) (\d{3}) [\d.]+ms 127\.0\.0\.1$/;

describe('agentsudo-server start logs', () => {
  test('by default, one readable line per request and human startup and shutdown lines; no JSON, no secret', async () => {
    const { stdout, stderr, secrets } = await serveAndStop([]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^agentsudo-server listening on http:\/\/127\.0\.0\.1:\d+ \(sqlite\)$/);
    const requests = lines
      .filter((l) => REQUEST_LINE.test(l))
      .map((l) => REQUEST_LINE.exec(l)!.slice(1, 5).join(' '));
    expect(requests).toEqual([
      'INFO GET /api/health 200',
      'INFO POST /api/events 200',
      'WARN POST /api/events 401',
      'WARN POST /api/auth/login 401',
      'INFO POST /api/auth/login 200',
      'INFO GET /api/auth/me 200',
      'WARN GET /no-such-page 404',
    ]);
    expect(lines.slice(1 + requests.length)).toEqual([
      expect.stringMatching(/^\S+Z INFO +shutting down: finishing in-flight requests signal=SIGTERM$/),
    ]);
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    for (const secret of secrets) expect(stdout + stderr).not.toContain(secret);
    expect(stderr).toBe('');
  });

  test('--log-level warn keeps only the answers that went wrong', async () => {
    const { stdout } = await serveAndStop(['--log-level', 'warn']);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => REQUEST_LINE.exec(l)?.slice(1, 5).join(' ')),
    ).toEqual(['WARN POST /api/events 401', 'WARN POST /api/auth/login 401', 'WARN GET /no-such-page 404']);
  });

  test('--log-format json writes one JSON object per request, for log collectors, and no secret', async () => {
    const { stdout, stderr, secrets } = await serveAndStop(['--log-format', 'json']);
    const lines = stdout.trimEnd().split('\n');
    // The startup line stays for people; every other line is a JSON object.
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual([
      expect.stringMatching(/^agentsudo-server listening on http/),
    ]);
    const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const requests = records.filter((r) => r.msg === 'request completed');
    expect(requests.map((r) => [r.level, r.method, r.url, r.statusCode])).toEqual([
      [30, 'GET', '/api/health', 200],
      [30, 'POST', '/api/events', 200],
      [40, 'POST', '/api/events', 401],
      [40, 'POST', '/api/auth/login', 401],
      [30, 'POST', '/api/auth/login', 200],
      [30, 'GET', '/api/auth/me', 200],
      [40, 'GET', '/no-such-page', 404],
    ]);
    for (const r of requests)
      expect(r).toMatchObject({
        reqId: expect.any(String),
        responseTime: expect.any(Number),
        ip: '127.0.0.1',
      });
    for (const secret of secrets) expect(stdout + stderr).not.toContain(secret);
  });

  test('a format or level not listed is one line naming it; LOG_LEVEL is checked the same way', () => {
    expect(runCli(dir.dir, ['start', '--log-level', 'loud'])).toMatchObject({
      status: 2,
      stderr:
        "agentsudo-server start: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'; see 'agentsudo-server start --help'\n",
    });
    expect(runCli(dir.dir, ['start', '--log-format', 'pretty']).stderr).toBe(
      "agentsudo-server start: --log-format must be text or json, got 'pretty'; see 'agentsudo-server start --help'\n",
    );
    expect(runCli(dir.dir, ['start'], undefined, { LOG_LEVEL: 'verbose' }).stderr).toMatch(
      /^agentsudo-server start: LOG_LEVEL must be one of .*, got 'verbose'; see/,
    );
  });
});
