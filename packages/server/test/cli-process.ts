import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * The command npm links as `agentsudo-server` (package.json "bin"), which loads the built
 * CLI (npm test builds first; run `npm run build -w packages/server` otherwise).
 */
export const CLI = join(__dirname, '..', require('../package.json').bin['agentsudo-server']);

/**
 * Runs one CLI command to completion in `cwd` (SQLite unless the arguments say otherwise),
 * with `input` on stdin and `env` added to the environment;
 * a command still running after 30 s is killed (status null), so a server that starts
 * when it should have refused its arguments fails the test instead of hanging it.
 */
export function runCli(
  cwd: string,
  args: string[],
  input?: string,
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '', AGENTSUDO_PASSWORD: '', ...env },
    timeout: 30_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** A running `agentsudo-server start`. */
export interface CliServer {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/**
 * Starts `agentsudo-server start --port 0` with `args` in `cwd`; resolves once it prints its
 * URL, rejects when it exits first (with what it printed) or does not start within 15 s.
 */
export function startCli(cwd: string, args: string[]): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI, 'start', '--port', '0', ...args], {
    cwd,
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], exited });
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', () => reject(new Error(`server exited early: ${out}`)));
  });
}
