import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The built package, as an installed `agentsudo` would run. */
export const DIST = {
  index: resolve(__dirname, '../dist/index.js'),
  cli: resolve(__dirname, '../dist/cli.js'),
};

/** The command npm links as `node_modules/.bin/agentsudo` (package.json "bin"). */
export const BIN = resolve(__dirname, '..', require('../package.json').bin.agentsudo);

/** Child processes run the built code; fail with the fix when it is missing. */
export function requireBuild(): void {
  for (const path of Object.values(DIST)) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` before these tests.`);
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` to completion (killed after 20 s so it cannot hang the suite). */
export function runNode(args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return run(process.execPath, args, env);
}

/** Runs `command <args>` to completion (killed after 20 s so it cannot hang the suite). */
export function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
