import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A throwaway Redis server for the test run: Debian's `redis-server` on 127.0.0.1 and a
 * free port, with no persistence, in a temp dir removed when it stops. Used by jest's global
 * setup unless AGENTSUDO_TEST_REDIS_URL points at a server already running, and by tests
 * that need a server of their own (to stop it under a client).
 *
 * @example
 * ```ts
 * const redis = await startTestRedis(freePort()); process.env.AGENTSUDO_TEST_REDIS_URL = redis.url; … redis.stop();
 * ```
 */
export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server at once (SIGTERM; nothing to save) and removes its folder. */
  stop(): void;
}

/** Finds `redis-server`: REDIS_SERVER, then PATH, then Debian's /usr/bin and /usr/sbin. */
export function findRedisServer(): string | undefined {
  if (process.env.REDIS_SERVER)
    return existsSync(process.env.REDIS_SERVER) ? process.env.REDIS_SERVER : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin'];
  // Only absolute folders: a relative PATH entry would run whatever the current folder holds.
  return dirs.map((dir) => join(dir, 'redis-server')).find((p) => p.startsWith('/') && existsSync(p));
}

/** Starts a server and waits until it answers PING; throws with what to install when Redis is missing. */
export async function startTestRedis(port: number): Promise<TestRedis> {
  const bin = findRedisServer();
  if (!bin) {
    throw new Error(
      'Redis is needed by the limits tests: run scripts/test-all.sh, which installs what the ' +
        'tests need, or apt-get install -y redis-server, or set AGENTSUDO_TEST_REDIS_URL to a ' +
        'Redis server the tests may use (they write keys under agentsudo-test: prefixes).',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'agentsudo-redis-'));
  const pidFile = join(dir, 'redis.pid');
  const started = spawnSync(
    bin,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'yes',
      '--pidfile',
      pidFile,
      '--logfile',
      join(dir, 'server.log'),
    ],
    { encoding: 'utf8' },
  );
  if (started.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server failed to start on 127.0.0.1:${port}: ${started.stderr || started.stdout}`);
  }
  const stop = () => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) {
        process.kill(pid, 'SIGTERM');
        // Redis still writes its farewell to server.log as it exits: removing the folder before
        // it has gone can fail with ENOTEMPTY, so wait for the process to end first.
        waitForExit(pid, 10_000);
      }
    } catch {
      // No pid file: the server never came up, or has already gone.
    } finally {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    }
  };
  try {
    await waitForPong(port, 30_000);
  } catch (e) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    stop();
    throw new Error(`redis-server on 127.0.0.1:${port} did not answer PING: ${(e as Error).message}\n${log}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** Blocks (the caller's stop() is synchronous) until the process is gone, or the time is up. */
function waitForExit(pid: number, withinMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      // An exited daemon whose parent does not reap it stays a zombie ('Z'): it is gone too.
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return;
    } catch {
      return; // ESRCH (or no /proc entry): it has exited
    }
    Atomics.wait(pause, 0, 0, 10);
  }
}

/** Resolves once a server on the port answers PING, retrying refused connections until the deadline. */
async function waitForPong(port: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      socket.setTimeout(2_000, () => socket.destroy());
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        got += chunk.toString();
        if (got.includes('\r\n')) socket.end();
      });
      socket.on('close', () => resolve(got));
      socket.on('error', () => undefined);
    });
    if (answer.startsWith('+PONG')) return;
    if (Date.now() > deadline)
      throw new Error(`no PONG within ${withinMs} ms (last answer: ${JSON.stringify(answer)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
