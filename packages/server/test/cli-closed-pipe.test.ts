import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Admin, openStorage } from '../src';
import { CLI } from './cli-process';
import { tempDir } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

interface Reader {
  /** The command the output is piped to. */
  command: string;
  /** Once what the reader printed matches this, `whenMatched` runs (the command may still run). */
  matched?: RegExp;
  whenMatched?: (output: string) => Promise<void>;
}

/**
 * Runs `agentsudo-server <args> | <reader>` in bash, as a user pipes it. The command's own
 * exit status ends stderr.
 */
function piped(
  args: string[],
  reader: Reader,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `"$@" | ${reader.command}; echo "exit status \${PIPESTATUS[0]}" >&2`;
  const child = spawn('bash', ['-c', script, 'bash', process.execPath, CLI, ...args], {
    cwd: dir.dir,
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a hung pipeline is killed whole
  });
  let stdout = '';
  let stderr = '';
  let called: Promise<void> | undefined;
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 25_000);
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    if (reader.matched?.test(stdout)) called ??= reader.whenMatched?.(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      Promise.resolve(called).then(() => resolve({ code, stdout, stderr }), reject);
    });
  });
}

describe('agentsudo-server output closed early', () => {
  test('an admin command ends quietly when its reader stops (project list, more lines than a pipe holds, | head -1)', async () => {
    const db = join(dir.dir, 'many.db');
    const storage = await openStorage({ db });
    const admin = new Admin(storage);
    for (let i = 0; i < 2000; i++) await admin.createProject(`project-${i}`);
    await storage.close();

    const { code, stdout, stderr } = await piped(['project', 'list', '--db', db], { command: 'head -1' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^prj_[0-9a-f]{16} {2}project-\d+\n$/);
    expect(stderr).toBe('exit status 0\n');
  });

  test('a running server whose log reader is gone stops gracefully when it next logs a request', async () => {
    const db = join(dir.dir, 'server.db');
    let requests = 0;
    const { code, stderr } = await piped(['start', '--port', '0', '--db', db], {
      // Reads up to the line with the URL and exits: the server is serving by then.
      command: "sed -u '/listening on/q'",
      matched: /listening on http:\/\/\S+/,
      whenMatched: async (output) => {
        const url = /listening on (http:\/\/\S+)/.exec(output)![1];
        // Each request logs a line to the closed pipe; the server stops after the first.
        // Bounded: at most 100 requests, then the test fails on the count.
        for (; requests < 100; requests++) {
          try {
            await fetch(`${url}/api/health`);
          } catch {
            return; // the server is gone
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    });
    expect(code).toBe(0);
    expect(stderr).toBe('exit status 0\n');
    expect(requests).toBeLessThan(100);
  });
});
