import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The built packages a child process loads, as users' programs do. */
export const DIST = {
  core: resolve(__dirname, '../../core/dist/index.js'),
  file: resolve(__dirname, '../dist/index.js'),
};

/** Child processes run the built code; fail with the fix when it is missing. */
export function requireBuild(): void {
  for (const path of Object.values(DIST)) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` before these tests.`);
  }
}

/** Writes a CommonJS script that can `require(CORE)` and `require(FILE)`. */
export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `'use strict';\nconst CORE = ${JSON.stringify(DIST.core)};\nconst FILE = ${JSON.stringify(DIST.file)};\n${body}\n`,
  );
  return path;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node script ...args`; `onStdout` sees output as it arrives (to signal the child
 * at the right moment). Killed after `timeoutMs` so a hung child cannot hang the suite.
 */
export function runNode(
  script: string,
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
  timeoutMs = 20_000,
): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}
