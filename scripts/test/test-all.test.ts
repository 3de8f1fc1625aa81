import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/test-all.sh, the README's test command, run for real by bash on a machine made
 * bare through PATH: a folder holding only node and, per test, stand-ins for the programs
 * that change the machine (apt-get, sudo, npm) which write each call to a log instead.
 */
const script = join(__dirname, '..', 'test-all.sh');

let bin: string;
let log: string;

beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'agentsudo-bare-machine-'));
  log = join(bin, 'calls.log');
  symlinkSync(process.execPath, join(bin, 'node'));
});

afterEach(() => rmSync(bin, { recursive: true, force: true }));

/** A program on the bare PATH that logs its arguments, then runs `body`. */
function standIn(name: string, body = ''): void {
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/bash\necho "${name} $*" >> '${log}'\n${body}\n`);
  chmodSync(file, 0o755);
}

/** Runs the script with the bare PATH; Chromium and PostgreSQL are present unless `env` says otherwise. */
function testAll(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync('/bin/bash', [script, ...args], {
    encoding: 'utf8',
    env: {
      PATH: bin,
      HOME: bin,
      CHROMIUM_PATH: process.execPath,
      AGENTSUDO_TEST_DATABASE_URL: 'postgres://127.0.0.1:1/unused',
      ...env,
    },
  });
  return { ...res, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('scripts/test-all.sh, the README test command', () => {
  test('on a machine it cannot install on, it names the one apt-get command for what is missing and stops', () => {
    standIn('npm');
    const res = testAll([], { CHROMIUM_PATH: join(bin, 'no-chromium') });

    expect(res.status).toBe(1);
    expect(res.stderr).toContain('  sudo apt-get install -y chromium redis-server make g++ python3\n');
    expect(res.calls).toEqual([]); // npm ci never ran
  });

  test('where it may install, it installs exactly what is missing, then runs npm ci and npm test', () => {
    standIn('apt-get');
    // Without root, the script installs through sudo when sudo needs no password.
    standIn('sudo', '[ "$1" = -n ] && shift; "$@"');
    standIn('npm');
    standIn('make');
    standIn('g++');
    standIn('python3');
    const res = testAll([]);

    expect(res.status).toBe(0);
    expect(res.calls.filter((call) => !call.startsWith('sudo'))).toEqual([
      'apt-get update -qq',
      'apt-get install -y redis-server -qq',
      'npm --version',
      'npm ci --no-audit --no-fund',
      'npm test',
    ]);
  });

  test('with everything installed, it goes straight to npm ci and npm test', () => {
    for (const tool of ['apt-get', 'npm', 'redis-server', 'make', 'g++', 'python3']) standIn(tool);
    const res = testAll([]);

    expect(res.status).toBe(0);
    expect(res.calls).toEqual(['npm --version', 'npm ci --no-audit --no-fund', 'npm test']);
  });

  test('--check says what is missing and how to install it, and changes nothing even where it could', () => {
    standIn('apt-get');
    standIn('sudo', '[ "$1" = -n ] && shift; "$@"');
    standIn('npm');
    const res = testAll(['--check']);

    expect(res.status).toBe(1);
    expect(res.stdout).toBe(
      'test-all: missing redis-server make g++ python3; install with: sudo apt-get install -y redis-server make g++ python3\n',
    );
    expect(res.calls).toEqual([]);
  });

  test('without Node.js and npm it says so before anything else', () => {
    rmSync(join(bin, 'node'));
    const res = testAll([]);

    expect(res.status).toBe(1);
    expect(res.stderr).toContain('Node.js and npm are needed');
  });

  test('--node 24 fetches that Node from the npm registry and runs npm ci and npm test with it and its headers', () => {
    for (const tool of ['redis-server', 'make', 'g++', 'python3']) standIn(tool);
    // The environment npm ci runs in: the Node first on PATH and the headers node-gyp builds against.
    standIn(
      'npm',
      `if [ "$1" = ci ]; then echo "env PATH=\${PATH%%:*} nodedir=$npm_config_nodedir" >> '${log}'; fi`,
    );
    const cache = join(bin, 'cache');
    const res = testAll(['--node', '24'], { XDG_CACHE_HOME: cache });

    const dir = join(cache, 'agentsudo', 'node-24');
    const pkg = `node-${process.platform}-${process.arch}`;
    expect(res.status).toBe(0);
    expect(res.calls).toEqual([
      `npm install --prefix ${dir} --no-save --no-package-lock --no-audit --no-fund ${pkg}@24`,
      'npm --version',
      'npm ci --no-audit --no-fund',
      `env PATH=${join(dir, 'node_modules', pkg, 'bin')} nodedir=${join(dir, 'node_modules', pkg)}`,
      'npm test',
    ]);
  });

  test('--node with something other than a major version is refused, naming the value', () => {
    standIn('npm');
    const res = testAll(['--node', 'latest']);

    expect(res.status).toBe(2);
    expect(res.stderr).toContain("--node takes a major version such as 24, got 'latest'");
    expect(res.calls).toEqual([]);
  });
});
