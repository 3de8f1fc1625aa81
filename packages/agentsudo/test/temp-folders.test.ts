import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testTempDir } from '../../../test-support/temp-dir';

const root = resolve(__dirname, '../../..');
const dir = testTempDir('agentsudo-temp-folders-');

/** Runs the jest CLI on `args` from the repository root, as a developer does; resolves with its exit code. */
function jest(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

test('a run that filters tests out (jest -t) leaves nothing in the temp folder or the home folder', async () => {
  const tmp = join(dir, 'tmp');
  const home = join(dir, 'home');
  mkdirSync(tmp);
  mkdirSync(home);
  const { code, output } = await jest(
    [
      // Jest's own cache stays where it was (jest_<uid> under the usual temp dir), so only
      // what the tests make can appear in `tmp`.
      `--cacheDirectory=${join(tmpdir(), `jest_${(process.getuid?.() ?? 0).toString(36)}`)}`,
      '--testPathPatterns',
      'packages/(agentsudo|transport-file|transport-cloud)/test/[^/]+\\.test\\.ts$',
      'packages/server/test/retention\\.test\\.ts$',
      // Matches the PostgreSQL half of the retention tests only; every other file's tests are filtered out.
      '-t',
      'retention on postgres',
    ],
    // The PostgreSQL this run already has (AGENTSUDO_TEST_DATABASE_URL) is reused.
    { ...process.env, TMPDIR: tmp, HOME: home, XDG_STATE_HOME: '', XDG_CACHE_HOME: '' },
  );
  expect({ code, output }).toMatchObject({
    code: 0,
    output: expect.stringMatching(/Tests:\s+\d+ skipped, [1-9]\d* passed/),
  });
  // ts-node, which loads jest.config.ts on Node 20, keeps one compile cache there and reuses it.
  expect(readdirSync(tmp).filter((name) => !name.startsWith('v8-compile-cache-'))).toEqual([]);
  expect(readdirSync(home)).toEqual([]);
}, 300_000);
