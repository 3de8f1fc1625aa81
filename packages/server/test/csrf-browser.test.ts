import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { logIn, startDashboardRig, WAIT_MS, type DashboardRig } from './dashboard-harness';

/**
 * Cross-site request forgery in a real Chromium. The attacker's page is on another port of
 * the same host: a sibling origin, so the browser sends the dashboard's SameSite=Lax cookie
 * along. Its form posts to the attacker's own server, which answers 307 to the dashboard;
 * the browser follows with `Origin: null`.
 */
jest.setTimeout(60_000);

let rig: DashboardRig;
let attacker: http.Server;
let attackerUrl: string;
let context: BrowserContext;
let page: Page;
let projectId: string;
let apiKey: string;

beforeAll(async () => {
  rig = await startDashboardRig();
  ({
    project: { id: projectId },
    apiKey,
  } = await rig.server.admin.createProject('victim'));
  attacker = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://attacker');
    if (url.pathname === '/go') {
      // Keeps the method and body: the browser posts again, to the dashboard.
      res.writeHead(307, { location: `${rig.url}${url.searchParams.get('to')}` });
      res.end();
      return;
    }
    const target = url.searchParams.get('target')!;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html>
<form method="POST" enctype="text/plain" action="/go?to=${encodeURIComponent(target)}">
  <input type="hidden" name="x" value="y">
</form>
<script>document.forms[0].submit()</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  context = await rig.newContext();
  page = await context.newPage();
  await logIn(page);
  await page.locator('.user').filter({ hasText: 'ops@example.com' }).waitFor();
});

afterAll(async () => {
  await new Promise((resolve) => attacker?.close(resolve));
  await rig?.close();
});

/** Opens the attacker's page in the signed-in browser; returns the dashboard's answer to the forged request. */
async function visitAttackerPage(target: string): Promise<{ status: number; origin: string | undefined }> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${rig.url}${target}`, { timeout: WAIT_MS }),
    page.goto(`${attackerUrl}/?target=${encodeURIComponent(target)}`),
  ]);
  return { status: response.status(), origin: (await response.request().headerValue('origin')) ?? undefined };
}

async function ingestStatus(key: string): Promise<number> {
  const res = await fetch(`${rig.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify([
      { timestamp: new Date().toISOString(), agent_name: 'Bot', action: 'permission_check', allowed: true },
    ]),
  });
  await res.body?.cancel();
  return res.status;
}

test('a redirected form post from another port cannot rotate the project’s key', async () => {
  const forged = await visitAttackerPage(`/api/projects/${projectId}/keys/rotate`);
  expect(forged.origin).toBe('null');
  expect(forged.status).toBe(403);
  expect((await rig.server.storage.accounts.listKeys(projectId)).filter((k) => k.revokedAt)).toEqual([]);
  expect(await ingestStatus(apiKey)).toBe(200);
});

test('nor issue a read token or log the user out', async () => {
  for (const target of [`/api/projects/${projectId}/read-tokens`, '/api/auth/logout']) {
    expect((await visitAttackerPage(target)).status).toBe(403);
  }
  expect((await rig.server.storage.accounts.listKeys(projectId)).map((k) => k.kind)).toEqual(['ingest']);
  // Still signed in: the dashboard reads with the same cookie.
  await page.goto(`${rig.url}/#/projects/${projectId}/settings`);
  await page.locator('.user').filter({ hasText: 'ops@example.com' }).waitFor();
});

test('the dashboard itself still rotates the key (it sends the token)', async () => {
  await page.goto(`${rig.url}/#/projects/${projectId}/settings`);
  await page.locator(`tr[data-key="${apiKey.slice(0, 11)}"]`).waitFor();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Rotate ingest key' }).click();
  const fresh = (await page.getByTestId('new-api-key').textContent()) ?? '';
  expect(fresh).toMatch(/^as_/);
  expect(await ingestStatus(apiKey)).toBe(401);
  expect(await ingestStatus(fresh)).toBe(200);
});

test('after a reload too (the token comes back from GET /api/auth/me), and logging out works', async () => {
  await page.reload();
  await page.getByRole('button', { name: 'Create read token' }).click();
  await page.locator('#new-key-title').filter({ hasText: 'New read token' }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const status = await page.evaluate(
    async (id) => (await fetch(`/api/projects/${id}/events`)).status,
    projectId,
  );
  expect(status).toBe(401);
});

test('signing in again in another tab does not break the first tab’s actions', async () => {
  await logIn(page);
  await page.locator('.user').filter({ hasText: 'ops@example.com' }).waitFor();
  await page.goto(`${rig.url}/#/projects/${projectId}/settings`);
  await page.getByRole('button', { name: 'Create read token' }).waitFor();
  // The second tab's login replaces the cookie both tabs share; the first tab still holds
  // the old login's token in memory.
  const other = await context.newPage();
  await logIn(other);
  await other.locator('.user').filter({ hasText: 'ops@example.com' }).waitFor();
  await page.getByRole('button', { name: 'Create read token' }).click();
  await page.locator('#new-key-title').filter({ hasText: 'New read token' }).waitFor();
  expect(
    (await rig.server.storage.accounts.listKeys(projectId)).filter((k) => k.kind === 'read'),
  ).toHaveLength(2);
});
