import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

const { launchChromium } = require('../scripts/chromium') as { launchChromium: () => Promise<Browser> };

/**
 * The repository's main command: the demo starts the local dashboard, creates a login and
 * a project, runs the quickstart in cloud mode against it and serves until Ctrl+C. It runs
 * built code, as `npm start` does.
 */
const DEMO = join(__dirname, '..', '..', '..', 'examples', 'dashboard-demo', 'dist', 'main.js');
const BOUND_MS = 20_000;

jest.setTimeout(60_000);

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(DEMO)) throw new Error(`${DEMO} is missing: run \`npm run build\` first.`);
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentsudo-demo-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  /** Resolves once the output matches, rejects after BOUND_MS. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function runDemo(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: dir, env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    errors: () => err,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const match = pattern.exec(out);
          if (match || child.exitCode !== null || Date.now() - started > BOUND_MS) {
            clearInterval(poll);
            if (match) resolve(match);
            else reject(new Error(`no ${pattern} in the demo's output:\n${out}\n${err}`));
          }
        }, 25);
      });
    },
  };
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${BOUND_MS} ms`)), BOUND_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts the demo as a user would and reads the URL and login it prints once it serves. */
async function startServing() {
  const demo = runDemo(['--port', '0', '--data-dir', join(dir, 'data')]);
  const [, url] = await demo.waitFor(/AgentSudo dashboard: (http:\/\/127\.0\.0\.1:\d+)\//);
  const [, email] = await demo.waitFor(/email: +(\S+)/);
  const [, password] = await demo.waitFor(/password: +(\S+)/);
  await demo.waitFor(/Ctrl\+C stops/);
  return { demo, url, email, password };
}

/** Signs in with the printed login, as the dashboard does; the session cookie. */
async function signIn(url: string, email: string, password: string): Promise<string> {
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(login.status).toBe(200);
  return login.headers.get('set-cookie')!.split(';')[0];
}

/** The demo project's permission checks as [agent, function, scope, allowed], sorted. */
async function demoChecks(url: string, cookie: string): Promise<unknown[][]> {
  const { projects } = (await (await fetch(`${url}/api/projects`, { headers: { cookie } })).json()) as {
    projects: Array<{ id: string; name: string }>;
  };
  expect(projects.map((p) => p.name)).toEqual(['demo']);
  const { events } = (await (
    await fetch(`${url}/api/projects/${projects[0].id}/events?action=permission_check`, {
      headers: { cookie },
    })
  ).json()) as { events: Array<Record<string, unknown>> };
  return events
    .map((e) => [e.agent_name, e.function_name, e.scope, e.allowed])
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
}

const QUICKSTART_CHECKS = [
  ['SupportBot', 'CustomerService.getCustomer', 'read:customers', true],
  ['SupportBot', 'CustomerService.processRefund', 'write:refunds', false],
];

test('prints a URL and a login; signed in, the quickstart’s allowed and denied checks are there; Ctrl+C stops it', async () => {
  const { demo, url, email, password } = await startServing();

  const page = await fetch(`${url}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<div id="app"');

  const cookie = await signIn(url, email, password);
  expect(await demoChecks(url, cookie)).toEqual(QUICKSTART_CHECKS);

  demo.child.kill('SIGINT');
  expect(await bounded(demo.exited, 'stopping after Ctrl+C')).toBe(0);
  expect(demo.output()).toContain('Dashboard stopped.');
  await expect(fetch(`${url}/api/health`)).rejects.toThrow();
});

test('the printed export lines, pasted in another terminal, send the cloud example’s checks to the demo project', async () => {
  const { demo, url, email, password } = await startServing();
  const [, endpoint] = await demo.waitFor(/^ +export AGENTSUDO_ENDPOINT=(\S+)$/m);
  const [, apiKey] = await demo.waitFor(/^ +export AGENTSUDO_API_KEY=(\S+)$/m);
  const [, command] = await demo.waitFor(/^ +(node examples\/cloud\/dist\/main\.js)$/m);
  expect(endpoint).toBe(url);
  expect(demo.output()).toContain(`api key:  ${apiKey}`);

  // The printed command runs from the repository root, with the two variables exported.
  const [, script] = command.split(' ');
  const second = spawn(process.execPath, [script], {
    cwd: join(__dirname, '..', '..', '..'),
    env: { ...process.env, AGENTSUDO_ENDPOINT: endpoint, AGENTSUDO_API_KEY: apiKey },
  });
  children.push(second);
  let out = '';
  second.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await bounded(new Promise((resolve) => second.on('exit', resolve)), 'the pasted command');
  expect(code).toBe(0);
  expect(out).toContain(`4 events sent to ${url}`);

  const cookie = await signIn(url, email, password);
  expect(await demoChecks(url, cookie)).toEqual(
    [...QUICKSTART_CHECKS, ...QUICKSTART_CHECKS].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
  );
  demo.child.kill('SIGINT');
  expect(await bounded(demo.exited, 'stopping after Ctrl+C')).toBe(0);
});

test('opened in Chromium with the printed login, the feed shows the allowed check green and the denied one red', async () => {
  const { demo, url, email, password } = await startServing();
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(BOUND_MS);
    await page.goto(`${url}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // One project, so signing in lands on its live feed.
    const allowed = page.locator('.event-row.outcome-allowed', { hasText: 'getCustomer' });
    const denied = page.locator('.event-row.outcome-denied', { hasText: 'processRefund' });
    await allowed.waitFor();
    await denied.waitFor();
    const color = (row: typeof allowed) =>
      row.evaluate(
        (el) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { borderLeftColor: string } }
          ).getComputedStyle(el).borderLeftColor,
      );
    expect(await color(allowed)).toBe('rgb(21, 128, 61)');
    expect(await color(denied)).toBe('rgb(185, 28, 28)');
  } finally {
    await browser.close();
  }
  demo.child.kill('SIGINT');
  expect(await bounded(demo.exited, 'stopping after Ctrl+C')).toBe(0);
});

test('with AGENTSUDO_DEMO_EXIT_AFTER_MS it sends the checks and stops by itself', async () => {
  const demo = runDemo(['--port', '0', '--data-dir', join(dir, 'data')], {
    AGENTSUDO_DEMO_EXIT_AFTER_MS: '100',
  });
  expect(await bounded(demo.exited, 'the timed demo')).toBe(0);
  expect(demo.output()).toContain('both checks were sent to the dashboard');
  expect(demo.output()).toContain('Dashboard stopped.');
  expect(existsSync(join(dir, 'data', 'dashboard-demo.db'))).toBe(true);
});

test('a port in use is a clear error, not a stack trace', async () => {
  const blocker: Server = createNetServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const demo = runDemo(['--port', String(port), '--data-dir', join(dir, 'data')]);
    expect(await bounded(demo.exited, 'the failing demo')).toBe(1);
    expect(demo.errors()).toContain(`Port ${port} is in use`);
    expect(demo.errors()).toContain('--port 0');
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
