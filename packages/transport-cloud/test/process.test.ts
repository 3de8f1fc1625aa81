import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, readSpool, tempDir } from './helpers';
import { startReceiver, type Receiver } from './receiver';

const SCRIPT = join(__dirname, 'fixtures', 'cloud-script.js');
const DIST = join(__dirname, '..', 'dist', 'index.js');

interface ChildResult {
  code: number | null;
  ms: number;
  stats: {
    sent: number;
    spooled: number;
    replayed: number;
    retried: number;
    logged: number;
    dropped: Record<string, number>;
  };
  unhandled: string[];
  stderr: string;
}

/** Runs the fixture program against the built packages; kills it after `limitMs`. */
function runChild(env: Record<string, string>, limitMs = 20_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [SCRIPT], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as Pick<ChildResult, 'stats' | 'unhandled'>;
        resolve({ code, ms: Date.now() - started, stderr, ...parsed });
      } catch {
        reject(new Error(`child printed no result (code ${code}): ${stdout}\n${stderr}`));
      }
    });
  });
}

/** Runs the child and checks that it ended well: exit code 0 and no unhandled rejection. */
async function runChildOk(env: Record<string, string>): Promise<ChildResult> {
  const result = await runChild(env);
  expect(result.code).toBe(0);
  expect(result.unhandled).toEqual([]);
  return result;
}

describe('cloud mode across processes (built packages)', () => {
  let receiver: Receiver;
  beforeAll(() => {
    if (!existsSync(DIST)) {
      throw new Error(
        `${DIST} is missing: build first (npm run build, or tsc -p packages/transport-cloud/tsconfig.build.json).`,
      );
    }
  });
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.stop();
    await cleanup();
  });

  it('a script that just ends delivers its events on the way out and exits promptly', async () => {
    const result = await runChildOk({
      ENDPOINT: receiver.url,
      SPOOL_DIR: tempDir(),
      MODE: 'natural',
      COUNT: '120',
    });
    // 120 checks plus session_start and session_end.
    expect(result.stats.sent).toBe(122);
    expect(receiver.stored).toHaveLength(122);
    expect(result.ms).toBeLessThan(15_000);
  });

  it('with the server hanging, exits after exitTimeoutMs and spools what it could not send', async () => {
    receiver.fallback = { delayMs: 30_000 };
    const spool = tempDir();
    const result = await runChildOk({
      ENDPOINT: receiver.url,
      SPOOL_DIR: spool,
      MODE: 'natural',
      COUNT: '20',
      EXIT_TIMEOUT_MS: '500',
      REQUEST_TIMEOUT_MS: '60000',
    });
    expect(result.stats.spooled).toBe(22);
    expect(readSpool(spool)).toHaveLength(22);
    // Far below the 30 s the server hangs and the 60 s request timeout.
    expect(result.ms).toBeLessThan(15_000);
  });

  it('process.exit() right after the calls still keeps the events, in the spool', async () => {
    const spool = tempDir();
    await receiver.stop();
    const result = await runChildOk({ ENDPOINT: receiver.url, SPOOL_DIR: spool, MODE: 'exit', COUNT: '30' });
    expect(result.stats.spooled).toBe(32);
    expect(readSpool(spool).map((e) => e.function_name)).toContain('lookUp');
  });

  it('through 500, a dropped connection, 429, 413, 400 and finally 401: every event accounted for, no unhandled rejection', async () => {
    // The child listens for 'unhandledRejection' at process level, where nothing intercepts it.
    receiver.respond(
      { status: 500 },
      { drop: true },
      { status: 429, retryAfter: '0' },
      { status: 413 },
      {}, // first half of the split batch
      {}, // second half
      { status: 400, body: { error: 'invalid_body', field: 'events[3].scope' } }, // that event only
      {}, // the other 49
      { status: 401 },
    );
    const result = await runChildOk({
      ENDPOINT: receiver.url,
      SPOOL_DIR: tempDir(),
      MODE: 'natural',
      COUNT: '300',
    });
    expect(result.stderr).toContain('API key rejected');
    const { logged, sent, retried, dropped } = result.stats;
    expect(logged).toBe(302);
    expect(sent).toBe(99);
    expect(retried).toBe(150);
    expect(dropped).toMatchObject({ rejected: 1, unauthorized: 202, total: 203 });
    expect(receiver.stored).toHaveLength(99);
  });

  it('the next process replays the spool in order, exactly once, and empties it', async () => {
    const spool = tempDir();
    await receiver.stop();
    const first = await runChildOk({
      ENDPOINT: receiver.url,
      SPOOL_DIR: spool,
      MODE: 'natural',
      COUNT: '75',
    });
    expect(first.stats.sent).toBe(0);
    expect(first.stats.spooled).toBe(77);
    const spooledIds = readSpool(spool).map((e) => e.event_id);
    expect(new Set(spooledIds).size).toBe(77);

    await receiver.start();
    const second = await runChildOk({ ENDPOINT: receiver.url, SPOOL_DIR: spool, MODE: 'replay' });
    expect(second.stats.replayed).toBe(77);
    expect(receiver.ids()).toEqual(spooledIds);
    expect([...receiver.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(readdirSync(spool).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });
});
