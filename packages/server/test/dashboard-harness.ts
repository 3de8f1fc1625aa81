import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServer, dashboard, type AgentSudoServer } from '../src';

const { buildUi } = require('../scripts/build-ui') as { buildUi: (o: { outdir: string }) => Promise<string> };
const { launchChromium } = require('../scripts/chromium') as { launchChromium: () => Promise<Browser> };

/** The dashboard login every browser test signs in with. */
export const LOGIN = { email: 'ops@example.com', password: 'correct horse battery staple' };

/** Every browser wait is bounded by this. */
export const WAIT_MS = 10_000;

/**
 * A real server on 127.0.0.1 with a temp SQLite file, the dashboard freshly bundled into a
 * temp folder (so no test sees a stale build), one login, and a headless Chromium.
 */
export interface DashboardRig {
  server: AgentSudoServer;
  url: string;
  dir: string;
  browser: Browser;
  /** A new browser profile (cookies, storage) with bounded default timeouts. */
  newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startDashboardRig(): Promise<DashboardRig> {
  const dir = mkdtempSync(join(tmpdir(), 'agentsudo-dashboard-'));
  const publicDir = await buildUi({ outdir: join(dir, 'public') });
  const server = await createServer({
    db: join(dir, 'agentsudo.db'),
    port: 0,
    extend: dashboard({ publicDir }),
  });
  await server.admin.createUser(LOGIN.email, LOGIN.password);
  const url = await server.listen();
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    server,
    url,
    dir,
    browser,
    async newContext(options) {
      // Each context is a fresh, empty profile: no cookies or storage carry over.
      const context = await browser.newContext({ baseURL: url, acceptDownloads: true, ...options });
      context.setDefaultTimeout(WAIT_MS);
      context.setDefaultNavigationTimeout(WAIT_MS);
      contexts.push(context);
      return context;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The few browser globals the tests touch inside `page.evaluate` (which runs in the page);
 * the tests are compiled for Node, without the DOM library.
 */
export interface BrowserWindow {
  getComputedStyle(element: unknown): { getPropertyValue(name: string): string };
  innerWidth: number;
  document: {
    scrollingElement: { scrollWidth: number };
    body: { append(element: unknown): void };
    createElement(tag: string): { style: { color: string }; remove(): void };
  };
  navigator: { clipboard: { readText(): Promise<string> } };
  marker?: string;
}

/** Signs in through the login form, as a user would. */
export async function logIn(page: Page, credentials = LOGIN): Promise<void> {
  await page.goto('/#/login');
  await page.getByLabel('Email').fill(credentials.email);
  await page.getByLabel('Password').fill(credentials.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Runs the quickstart example in cloud mode (examples/cloud, as built) in a child process
 * against the server with `apiKey`, configured as a user would through AGENTSUDO_ENDPOINT
 * and AGENTSUDO_API_KEY; resolves with its output.
 */
export function runQuickstartInCloudMode(endpoint: string, apiKey: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, '..', '..', '..', 'examples', 'cloud', 'dist', 'main.js')],
      {
        env: { ...process.env, AGENTSUDO_ENDPOINT: endpoint, AGENTSUDO_API_KEY: apiKey },
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`quickstart failed (${error.message}): ${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Where page screenshots go: `AGENTSUDO_SCREENSHOTS` (e.g. docs/images, to refresh the
 * docs), else a temp folder, so a plain test run leaves the repository unchanged.
 */
export function screenshotDir(fallback: string): string {
  const dir = process.env.AGENTSUDO_SCREENSHOTS ?? join(fallback, 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The computed colour of an element's style property, as `rgb(r, g, b)`. */
export function computedStyle(page: Page, selector: string, property: string): Promise<string> {
  return page
    .locator(selector)
    .first()
    .evaluate(
      (el, prop) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).getPropertyValue(prop),
      property,
    );
}

/**
 * What a CSS colour value (e.g. `var(--audit)`) resolves to on the page, as `rgb(r, g, b)`:
 * tests compare against the stylesheet's own colours instead of restating them.
 */
export function cssColour(page: Page, value: string): Promise<string> {
  return page.evaluate((colour) => {
    const w = globalThis as unknown as BrowserWindow;
    const probe = w.document.createElement('span');
    probe.style.color = colour;
    w.document.body.append(probe);
    const resolved = w.getComputedStyle(probe).getPropertyValue('color');
    probe.remove();
    return resolved;
  }, value);
}

/** How far the page is wider than the window, in CSS pixels (0 when nothing overflows). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = globalThis as unknown as BrowserWindow;
    return Math.max(0, w.document.scrollingElement.scrollWidth - w.innerWidth);
  });
}
