import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The README's quick start, as a new user follows it: a fresh `npm init -y` project with the
 * built `agentsudo` package installed from the clone (npm links the folder, as here), the
 * README's `tsconfig.json` as the whole file and its example as `src/main.ts`, compiled with
 * `tsc` and run with `node`. Both blocks are read from README.md by their `readme-test`
 * markers, so the test follows every change to them (npm test builds the packages first).
 */
const repo = join(__dirname, '..', '..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

/** The fenced code block that follows `<!-- readme-test: <name> … -->` in README.md. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const marker = readme.indexOf(`<!-- readme-test: ${name}`);
  if (marker < 0) throw new Error(`README.md has no '<!-- readme-test: ${name}' marker`);
  const block = /```\w*\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  if (!block) throw new Error(`no code block after the README's '${name}' marker`);
  return block[1];
}

function run(command: string, args: string[], cwd: string) {
  const res = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

let app: string;
beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'agentsudo-readme-app-'));
});
afterAll(() => rmSync(app, { recursive: true, force: true }));

test("the README's tsconfig and example compile in a fresh npm init project, and run as it says", () => {
  expect(run('npm', ['init', '-y'], app).status).toBe(0);
  mkdirSync(join(app, 'node_modules'));
  // What the README's `npm install typescript @types/node <clone>/packages/agentsudo` leaves
  // (typescript is run from the clone below).
  symlinkSync(join(repo, 'packages', 'agentsudo'), join(app, 'node_modules', 'agentsudo'), 'dir');
  mkdirSync(join(app, 'node_modules', '@types'));
  symlinkSync(
    join(repo, 'node_modules', '@types', 'node'),
    join(app, 'node_modules', '@types', 'node'),
    'dir',
  );
  writeFileSync(join(app, 'tsconfig.json'), readmeBlock('tsconfig.json'));
  mkdirSync(join(app, 'src'));
  writeFileSync(join(app, 'src', 'main.ts'), readmeBlock('quick-start code'));

  const compiled = run(process.execPath, [tsc], app);
  expect(compiled.stdout + compiled.stderr).toBe('');
  expect(compiled.status).toBe(0);

  // What the README shows, but for the time of the check on the stderr line.
  const [stderrLine, stdoutLine] = readmeBlock('quick-start output').split('\n');
  const ran = run(process.execPath, [join('dist', 'main.js')], app);
  expect(ran.status).toBe(0);
  expect(ran.stdout).toBe(`${stdoutLine}\n`);
  const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;
  expect(ran.stderr.replace(isoTime, '<time>')).toBe(`${stderrLine.replace(isoTime, '<time>')}\n`);
});
