import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  computedStyle,
  cssColour,
  horizontalOverflow,
  LOGIN,
  logIn,
  runQuickstartInCloudMode,
  screenshotDir,
  startDashboardRig,
  WAIT_MS,
  type BrowserWindow,
  type DashboardRig,
} from './dashboard-harness';

jest.setTimeout(60_000);

/** The colours the stylesheet gives outcomes in the light scheme. */
const GREEN = 'rgb(21, 128, 61)';
const RED = 'rgb(185, 28, 28)';

/**
 * One agent's session in a compliance project: an allowed check, a denied one, an
 * audit-mode violation (the call ran but would have been denied) and the session's start
 * and end, oldest first.
 */
const LEDGER_SESSION = 'sess-ledger-1';
const LEDGER_EVENTS = [
  { action: 'session_start', allowed: true },
  { scope: 'read:ledger', allowed: true, function_name: 'LedgerService.readLedger' },
  { scope: 'write:ledger', allowed: false, function_name: 'LedgerService.postEntry' },
  {
    action: 'audit_violation',
    scope: 'export:ledger',
    allowed: false,
    function_name: 'LedgerService.exportLedger',
  },
  { action: 'session_end', allowed: true },
].map((e, i) => ({
  agent_name: 'LedgerBot',
  session_id: LEDGER_SESSION,
  timestamp: new Date(Date.now() - 60_000 + i * 1000).toISOString(),
  ...e,
}));

let rig: DashboardRig;
let context: BrowserContext;
let page: Page;
let shots: string;
/** Filled in as the story goes: the project the user creates and its key. */
let projectId = '';
let apiKey = '';
/** Script errors and policy violations (e.g. CSP) seen in the page. */
const pageErrors: string[] = [];

beforeAll(async () => {
  rig = await startDashboardRig();
  shots = screenshotDir(rig.dir);
  context = await rig.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A refused request (the wrong password's 401) is logged by the browser and expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageErrors.push(message.text());
    }
  });
});

afterAll(async () => {
  await rig?.close();
});

const shot = (name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true, animations: 'disabled' });

describe('signing in', () => {
  test('a wrong password is refused and the user stays on the login page', async () => {
    await logIn(page, { email: LOGIN.email, password: 'not the password' });
    await expectText(page.getByRole('alert'), 'Wrong email or password.');
    expect(page.url()).toContain('#/login');
    const status = await page.evaluate(async () => (await fetch('/api/projects')).status);
    expect(status).toBe(401);
  });

  test('a browser that never logged in cannot read the API', async () => {
    const stranger = await (await rig.newContext()).newPage();
    await stranger.goto('/');
    await stranger.getByRole('button', { name: 'Sign in' }).waitFor();
    const answers = await stranger.evaluate(async () =>
      Promise.all(['/api/projects', '/api/auth/me'].map(async (path) => (await fetch(path)).status)),
    );
    expect(answers).toEqual([401, 401]);
    await stranger.setViewportSize({ width: 1280, height: 720 });
    await stranger.screenshot({ path: join(shots, 'login.png') });
  });

  test('the right password signs in, using the keyboard only', async () => {
    await page.reload();
    await page.getByLabel('Email').focus();
    await page.keyboard.type(LOGIN.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(LOGIN.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await expectText(page.locator('.user'), LOGIN.email);
  });
});

describe('projects and keys', () => {
  test('creating a project shows its API key once, with a copy button and the setup code', async () => {
    await page.getByLabel('New project name').fill('support-desk');
    await page.getByRole('button', { name: 'Create project' }).click();
    const key = page.getByTestId('new-api-key');
    await key.waitFor();
    apiKey = (await key.textContent()) ?? '';
    expect(apiKey).toMatch(/^as_[A-Za-z0-9_-]{32}$/);
    await expect(page.getByRole('button', { name: 'Copy key' }).isVisible()).resolves.toBe(true);
    // The snippet carries this server's address and the new key.
    await expectText(page.locator('.new-key pre'), `endpoint: '${rig.url}'`);
    await expectText(page.locator('.new-key pre'), apiKey);
    projectId = (await rig.server.storage.accounts.findProject('support-desk'))!.id;
    await shot('project-created');
  });

  test('the copy button puts exactly the shown key on the clipboard', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.url });
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('button', { name: 'Copied ✓' }).waitFor();
    const copied = await page.evaluate(() =>
      (globalThis as unknown as BrowserWindow).navigator.clipboard.readText(),
    );
    expect(copied).toBe(apiKey);
  });

  test('a project without events shows how to send the first ones', async () => {
    await page.getByRole('link', { name: 'Open the live feed →' }).click();
    await page.getByRole('heading', { name: 'No permission checks yet' }).waitFor();
    await expectText(page.locator('.empty-state pre'), "import { configureCloud } from 'agentsudo';");
    await expectText(page.locator('.empty-state pre'), rig.url);
    await expectText(page.locator('.empty-state pre'), apiKey);
  });

  test('its audit log shows the same setup steps, with or without filters', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'No permission checks yet' }).waitFor();
    await expectText(page.locator('.empty-state pre'), "import { configureCloud } from 'agentsudo';");
    await expectText(page.locator('.empty-state pre'), `endpoint: '${rig.url}'`);
    await expectText(page.locator('.empty-state pre'), apiKey);
    expect(await page.locator('.audit-table').isVisible()).toBe(false);
    // A filter cannot be what hides the events when there are none at all.
    await page.getByLabel('Outcome').selectOption('denied');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=denied/);
    await page.getByRole('heading', { name: 'No permission checks yet' }).waitFor();
    await expectText(page.getByRole('status'), 'This project has no events yet.');
    await page.getByRole('link', { name: 'Live feed' }).click();
  });

  test('in another tab, where the key is no longer shown, it says which key to set', async () => {
    const quiet = await rig.server.admin.createProject('quiet');
    const other = await context.newPage();
    await other.goto(`/#/projects/${quiet.project.id}/audit`);
    const steps = other.locator('.empty-state');
    await steps.getByRole('heading', { name: 'No permission checks yet' }).waitFor();
    await expectText(steps.locator('pre'), `endpoint: '${rig.url}'`);
    await expectText(steps.locator('pre'), 'apiKey: process.env.AGENTSUDO_API_KEY');
    await expectText(steps, `to this project’s key (it starts with ${quiet.apiKey.slice(0, 11)}…)`);
    expect(await steps.textContent()).not.toContain(quiet.apiKey);
    await other.close();
  });
});

describe('the live feed', () => {
  test('the quickstart’s allowed and denied checks appear live, green and red, without a reload', async () => {
    await page.locator('.live-status[data-state="live"]').waitFor();
    await page.evaluate(() => ((globalThis as unknown as BrowserWindow).marker = 'same page'));

    const output = await runQuickstartInCloudMode(rig.url, apiKey);
    expect(output).toContain(`events sent to ${rig.url}`);

    const allowed = page.locator('.feed .event-row.outcome-allowed');
    const denied = page.locator('.feed .event-row.outcome-denied');
    await allowed.waitFor();
    await denied.waitFor();
    await expectText(allowed, 'SupportBot');
    await expectText(allowed, 'getCustomer()');
    await allowed.locator('svg[data-icon="allowed"]').waitFor();
    await expectText(denied, 'processRefund()');
    await expectText(denied, 'write:refunds');
    await denied.locator('svg[data-icon="denied"]').waitFor();
    expect(await computedStyle(page, '.feed .outcome-allowed', 'border-left-color')).toBe(GREEN);
    expect(await computedStyle(page, '.feed .outcome-denied', 'border-left-color')).toBe(RED);
    expect(await computedStyle(page, '.feed .outcome-denied .badge', 'color')).toBe(RED);
    expect(await computedStyle(page, '.feed .outcome-allowed .badge', 'color')).toBe(GREEN);
    // Still the same document: the rows came over the live connection, not a reload.
    expect(await page.evaluate(() => (globalThis as unknown as BrowserWindow).marker)).toBe('same page');
    await shot('live-feed');
  });

  test('pausing holds new checks back until resume', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await ingest([
      { agent_name: 'BillingBot', scope: 'write:invoices', allowed: false, function_name: 'voidInvoice' },
    ]);
    await page.getByRole('button', { name: 'Resume (1 new)' }).waitFor();
    expect(await page.locator('.feed .event-row', { hasText: 'BillingBot' }).count()).toBe(0);
    await page.getByRole('button', { name: /Resume/ }).click();
    await page.locator('.feed .event-row', { hasText: 'BillingBot' }).waitFor();
    await expect(page.getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed')).resolves.toBe(
      'false',
    );
  });

  test('filters by agent and outcome', async () => {
    await page.getByLabel('Outcome').selectOption('denied');
    await expectRowCount(page.locator('.feed .event-row'), 2);
    expect(await page.locator('.feed .outcome-allowed').count()).toBe(0);
    await page.getByLabel('Agent').fill('support');
    await expectRowCount(page.locator('.feed .event-row'), 1);
    await expectText(page.locator('.feed .event-row'), 'processRefund()');
    await page.getByLabel('Outcome').selectOption('');
    await page.getByLabel('Agent').fill('');
    // The quickstart's session start and end show as neutral rows between its checks.
    await expectRowCount(page.locator('.feed .event-row'), 5);
    await expectRowCount(page.locator('.feed .event-row.outcome-info'), 2);
  });
});

describe('the audit log', () => {
  test('filtered to denials it lists only denied checks', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('.audit-table tbody tr').first().waitFor();
    await page.getByLabel('Outcome').selectOption('denied');
    await page.getByLabel('Agent').fill('SupportBot');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=denied/);
    await expectRowCount(page.locator('.audit-table tbody tr'), 1);
    const row = page.locator('.audit-table tbody tr');
    await expectText(row, 'processRefund');
    await expectText(row, 'write:refunds');
    expect(await row.getAttribute('data-outcome')).toBe('denied');
    await shot('audit-log');
  });

  test('exports the current filter as CSV', async () => {
    const csv = (await download('Export CSV')).trim().split('\r\n');
    const header = csv[0].split(',');
    const rows = csv
      .slice(1)
      .map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      agent_name: 'SupportBot',
      function_name: 'CustomerService.processRefund',
      scope: 'write:refunds',
      allowed: 'false',
      action: 'permission_check',
    });
  });

  test('exports JSON Lines with the same filter', async () => {
    const lines = (await download('Export JSON Lines'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => [e.agent_name, e.function_name, e.allowed])).toEqual([
      ['SupportBot', 'CustomerService.processRefund', false],
    ]);
  });

  test('search narrows the shown events', async () => {
    await page.goto(`/#/projects/${projectId}/audit`);
    await expectRowCount(page.locator('.audit-table tbody tr'), 5);
    // Searched by the server over the whole log, ignoring case.
    await page.getByLabel('Search').fill('GETCUSTOMER');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expectRowCount(page.locator('.audit-table tbody tr'), 1);
    await expectText(page.locator('.audit-table tbody tr'), 'getCustomer');
  });

  test('a time range selects by when the check happened', async () => {
    const inputValue = (d: Date) =>
      new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    const tomorrow = new Date(Date.now() + 86_400_000);
    await page.goto(`/#/projects/${projectId}/audit`);
    await page.getByLabel('From').fill(inputValue(tomorrow));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expectText(page.getByRole('status'), 'No events match these filters.');
    await page.getByRole('link', { name: 'Clear' }).click();
    // Clearing re-renders the page: wait for it before filling the new range.
    await expectRowCount(page.locator('.audit-table tbody tr'), 5);
    await page.getByLabel('To').fill(inputValue(tomorrow));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expectRowCount(page.locator('.audit-table tbody tr'), 5);
  });

  test('pages with a cursor: 50 at a time, then the older ones', async () => {
    const paged = await rig.server.admin.createProject('paging');
    const start = Date.now() - 120_000;
    const events = Array.from({ length: 60 }, (_, i) => ({
      timestamp: new Date(start + i * 1000).toISOString(),
      agent_name: 'PagerBot',
      allowed: true,
      function_name: `step${i}`,
    }));
    expect((await postEvents(paged.apiKey, events)).status).toBe(200);
    await page.goto(`/#/projects/${paged.project.id}/audit`);
    await expectRowCount(page.locator('.audit-table tbody tr'), 50);
    // Newest first: step59 heads the first page, step10 ends it.
    await expectText(page.locator('.audit-table tbody tr').first(), 'step59');
    await expectText(page.locator('.audit-table tbody tr').last(), 'step10');
    await page.getByRole('button', { name: 'Load older events' }).click();
    await expectRowCount(page.locator('.audit-table tbody tr'), 60);
    await expectText(page.locator('.audit-table tbody tr').last(), 'step0');
    expect(await page.getByRole('button', { name: 'Load older events' }).isVisible()).toBe(false);
  });
});

describe('audit mode and outcomes', () => {
  /** A second project, for the audit-mode session and for switching projects. */
  let ledger: { id: string; key: string };

  test('an audit-mode violation shows in amber in the live feed, neither green nor red', async () => {
    const created = await rig.server.admin.createProject('ledger');
    ledger = { id: created.project.id, key: created.apiKey };
    await page.goto(`/#/projects/${ledger.id}/feed`);
    await page.locator('.live-status[data-state="live"]').waitFor();
    expect((await postEvents(ledger.key, LEDGER_EVENTS)).status).toBe(200);

    const audit = page.locator('.feed .event-row.outcome-audit');
    await audit.waitFor();
    await expectText(audit, 'LedgerService.exportLedger()');
    await expectText(audit, 'Audit');
    await audit.locator('svg[data-icon="audit"]').waitFor();
    const amber = await cssColour(page, 'var(--audit)');
    expect([GREEN, RED]).not.toContain(amber);
    expect(await computedStyle(page, '.feed .outcome-audit', 'border-left-color')).toBe(amber);
    expect(await computedStyle(page, '.feed .outcome-audit .badge', 'color')).toBe(amber);
    // Its neighbours keep their colours.
    expect(await computedStyle(page, '.feed .outcome-allowed .badge', 'color')).toBe(GREEN);
    expect(await computedStyle(page, '.feed .outcome-denied .badge', 'color')).toBe(RED);
  });

  test('the audit log shows the violation in amber too', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expectRowCount(page.locator('.audit-table tbody tr'), 5);
    const row = page.locator('.audit-table tbody tr[data-outcome="audit"]');
    await expectText(row, 'LedgerService.exportLedger');
    const amber = await cssColour(page, 'var(--audit)');
    expect(await computedStyle(page, '.audit-table tr.outcome-audit .badge', 'color')).toBe(amber);
    const background = await computedStyle(page, '.audit-table tr.outcome-audit', 'background-color');
    expect(background).toBe(await cssColour(page, 'var(--audit-bg)'));
    expect(background).not.toBe(await cssColour(page, 'var(--allowed-bg)'));
    expect(background).not.toBe(await cssColour(page, 'var(--denied-bg)'));
  });

  test('the outcome filter "Allowed" lists only allowed checks, not the violation or the session', async () => {
    await page.getByLabel('Outcome').selectOption('allowed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=allowed/);
    await expectRowCount(page.locator('.audit-table tbody tr'), 1);
    const row = page.locator('.audit-table tbody tr');
    expect(await row.getAttribute('data-outcome')).toBe('allowed');
    await expectText(row, 'LedgerService.readLedger');
    await expectText(row, 'permission_check');
    // The exports carry the same filter to the server.
    expect(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain(
      'outcome=allowed',
    );
  });

  test('the outcome filter "Audit" lists only the violation', async () => {
    await page.getByLabel('Outcome').selectOption('audit');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=audit/);
    await expectRowCount(page.locator('.audit-table tbody tr'), 1);
    const row = page.locator('.audit-table tbody tr');
    expect(await row.getAttribute('data-outcome')).toBe('audit');
    await expectText(row, 'audit_violation');
  });

  test('a project card links to every section of its project', async () => {
    await page.getByRole('link', { name: 'AgentSudo' }).click();
    const card = page.locator('.project-card', { hasText: 'support-desk' });
    await card.waitFor();
    const links = await card
      .locator('.links a')
      .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    const base = `#/projects/${projectId}`;
    expect(links).toEqual([
      ['Live feed', `${base}/feed`],
      ['Analytics', `${base}/analytics`],
      ['Audit log', `${base}/audit`],
      ['Agents', `${base}/agents`],
      ['Settings', `${base}/settings`],
    ]);
  });

  test('the project picker switches between projects, and the address follows', async () => {
    // The projects page refreshes the list the picker offers.
    await page.getByRole('link', { name: 'AgentSudo' }).click();
    await page.getByRole('link', { name: 'support-desk' }).click();
    await page.waitForURL(new RegExp(`#/projects/${projectId}/feed$`));
    await page.locator('.feed .event-row', { hasText: 'SupportBot' }).first().waitFor();

    const picker = page.getByLabel('Project', { exact: true });
    await picker.selectOption({ label: 'ledger' });
    await page.waitForURL(new RegExp(`#/projects/${ledger.id}/feed$`));
    await expectRowCount(page.locator('.feed .event-row'), 5);
    expect(await page.locator('.feed .event-row', { hasText: 'SupportBot' }).count()).toBe(0);
    expect(await page.locator('.feed .event-row', { hasText: 'BillingBot' }).count()).toBe(0);
    expect(await picker.inputValue()).toBe(ledger.id);

    // The section stays the same when switching back.
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.locator('.agent-card[data-agent="LedgerBot"]').waitFor();
    await picker.selectOption({ label: 'support-desk' });
    await page.waitForURL(new RegExp(`#/projects/${projectId}/agents$`));
    await page.locator('.agent-card[data-agent="SupportBot"]').waitFor();
    expect(await page.locator('.agent-card[data-agent="LedgerBot"]').count()).toBe(0);
  });
});

describe('analytics and agents', () => {
  test('the numbers match the checks sent', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    await page.getByRole('link', { name: 'Analytics' }).click();
    const kpi = (id: string) => page.locator(`[data-kpi="${id}"] .kpi-value`);
    await kpi('events').waitFor();
    // The quickstart made 2 checks (getCustomer allowed, processRefund denied) and BillingBot
    // 1 denial. Its session start and end are stored but are not checks, so not counted.
    await expectText(kpi('events'), '3');
    await expectText(kpi('denied'), '2');
    await expectText(kpi('denial-rate'), '67%');
    await expectText(kpi('active-agents'), '2');
    const support = page.locator('tr[data-agent="SupportBot"]');
    await expectText(support, '50%');
    await support.locator('svg.sparkline').waitFor();
    const scopes = page.locator('table', { hasText: 'Top denied scopes' });
    await expectText(scopes, 'write:refunds');
    await expectText(scopes, 'write:invoices');
    // One bar per bucket; the chart names its totals for screen readers.
    expect(await page.locator('svg.chart').getAttribute('aria-label')).toContain('3 checks, 2 denied');
    await shot('analytics');
  });

  test('a different range redraws the chart', async () => {
    await page.getByLabel('Range', { exact: true }).selectOption('1h');
    await expectText(page.getByRole('heading', { name: /Checks over time/ }), 'per minute');
    expect(await page.locator('svg.chart .bar').count()).toBeGreaterThanOrEqual(60);
  });

  test('the agents page lists scopes used, denials and first and last seen', async () => {
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    const card = page.locator('.agent-card[data-agent="SupportBot"]');
    await card.waitFor();
    await expectText(card.locator('.chips'), 'read:customers');
    await expectText(card.locator('.chips'), 'write:refunds');
    expect(await card.locator('[data-denied]').getAttribute('data-denied')).toBe('1');
    // Checks as analytics counts them: getCustomer and processRefund, not the session's start
    // and end, which are stored too.
    await expectText(card.locator('dt'), 'Checks');
    expect(await card.locator('[data-checks]').getAttribute('data-checks')).toBe('2');
    await expectText(card, 'First seen');
    await expectText(card, 'Last seen');
    await shot('agents');
  });
});

describe('project settings', () => {
  test('rotating the key shows a new one and revokes the old one', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator(`tr[data-key="${apiKey.slice(0, 11)}"]`).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate ingest key' }).click();
    const fresh = (await page.getByTestId('new-api-key').textContent()) ?? '';
    expect(fresh).toMatch(/^as_/);
    expect(fresh).not.toBe(apiKey);
    await expectText(page.locator(`tr[data-key="${apiKey.slice(0, 11)}"]`), 'Revoked');
    expect((await postEvents(apiKey)).status).toBe(401);
    expect((await postEvents(fresh)).status).toBe(200);
    await shot('settings');
  });

  test('a read token can be issued and revoked', async () => {
    await page.getByRole('button', { name: 'Create read token' }).click();
    await expectText(page.locator('#new-key-title'), 'New read token');
    const token = (await page.getByTestId('new-api-key').textContent()) ?? '';
    const read = () =>
      fetch(`${rig.url}/api/projects/${projectId}/events`, { headers: { authorization: `Bearer ${token}` } });
    expect((await read()).status).toBe(200);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Revoke key ${token.slice(0, 12)}` }).click();
    await expectText(page.locator(`tr[data-key="${token.slice(0, 12)}"]`), 'Revoked');
    expect((await read()).status).toBe(401);
  });
});

describe('layout', () => {
  test('no page is wider than a phone screen', async () => {
    const phone = { width: 390, height: 844 };
    const overflow: Record<string, number> = {};
    const stranger = await (await rig.newContext({ viewport: phone })).newPage();
    await stranger.goto('/#/login');
    await stranger.getByRole('button', { name: 'Sign in' }).waitFor();
    overflow.login = await horizontalOverflow(stranger);

    await page.setViewportSize(phone);
    const pages: Array<[string, string, string]> = [
      ['projects', '/#/projects', '.project-card'],
      ['feed', `/#/projects/${projectId}/feed`, '.feed .event-row'],
      ['analytics', `/#/projects/${projectId}/analytics`, 'svg.chart'],
      ['audit log', `/#/projects/${projectId}/audit`, '.audit-table tbody tr'],
      ['agents', `/#/projects/${projectId}/agents`, '.agent-card'],
      ['settings', `/#/projects/${projectId}/settings`, 'tr[data-key]'],
    ];
    for (const [name, path, content] of pages) {
      await page.goto(path);
      await page.locator(content).first().waitFor();
      overflow[name] = await horizontalOverflow(page);
      if (name === 'feed') await shot('live-feed-phone');
    }
    expect(overflow).toEqual(Object.fromEntries(Object.keys(overflow).map((name) => [name, 0])));
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test('follows a dark colour scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`/#/projects/${projectId}/analytics`);
    await page.locator('[data-kpi="events"]').waitFor();
    const background = await computedStyle(page, 'body', 'background-color');
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    expect(r + g + b).toBeLessThan(120);
    await shot('analytics-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('keyboard navigation: Enter on a section link moves focus into the new page', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    await page.locator('a[data-section="agents"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('.agent-card').first().waitFor();
    expect(await page.locator(':focus').getAttribute('id')).toBe('main');
    await page.keyboard.press('Tab');
    await expectText(page.locator(':focus'), 'Audit log for');
  });

  test('no page raised a script error or a content-security-policy violation', () => {
    expect(pageErrors).toEqual([]);
  });

  test('logging out ends API access for that browser', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(
      async (id) => (await fetch(`/api/projects/${id}/events`)).status,
      projectId,
    );
    expect(status).toBe(401);
  });
});

/** Clicks a download link and returns the downloaded file's text. */
async function download(linkName: string): Promise<string> {
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: WAIT_MS }),
    page.getByRole('link', { name: linkName }).click(),
  ]);
  return readFileSync((await file.path())!, 'utf8');
}

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: WAIT_MS });
}

/**
 * Waits (bounded) until the locator matches exactly `n` elements on a settled page: nothing
 * marked `aria-busy` (a page still being drawn after a navigation, or still loading its rows).
 */
async function expectRowCount(locator: ReturnType<Page['locator']>, n: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  const busy = page.locator('#app[aria-busy="true"], #app [aria-busy="true"]');
  let count = -1;
  for (;;) {
    count = (await busy.count()) > 0 ? -1 : await locator.count();
    if (count === n || Date.now() >= deadline) break;
    await page.waitForTimeout(50);
  }
  // On a mismatch, say what the page showed instead (its address and status line).
  const shown = count === n ? '' : `${page.url()}: ${await page.locator('#app').innerText()}`.slice(0, 600);
  expect({ count, shown }).toEqual({ count: n, shown: '' });
}

function postEvents(
  key: string,
  events: object[] = [{ agent_name: 'Probe', scope: 'read:x', allowed: true }],
) {
  const body = events.map((e) => ({ timestamp: new Date().toISOString(), action: 'permission_check', ...e }));
  return fetch(`${rig.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
}

async function ingest(events: object[]): Promise<void> {
  const response = await postEvents(apiKey, events);
  expect(response.status).toBe(200);
}
