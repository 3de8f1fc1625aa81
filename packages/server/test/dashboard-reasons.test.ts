import type { BrowserContext, Locator, Page } from 'playwright-core';
import { logIn, startDashboardRig, WAIT_MS, type DashboardRig } from './dashboard-harness';

jest.setTimeout(120_000);

/**
 * A refund bot's last minute: one refund allowed, one refused by its budget, one by its rate
 * limit, one by an SDK that sends no reason (read as a missing scope), and a refund over the
 * limit that went to a person: asked for, granted by ops@example.com; a second request ran
 * out of time. Oldest first, a second apart.
 */
const started = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const at = (second: number) => new Date(started + second * 1000).toISOString();
const bot = { agent_name: 'RefundBot', function_name: 'Payments.refund', scope: 'write:refunds' };
const EVENTS = [
  { ...bot, event_id: 'ev-ok', action: 'permission_check', allowed: true },
  { ...bot, event_id: 'ev-budget', action: 'permission_check', allowed: false, reason: 'budget' },
  { ...bot, event_id: 'ev-rate', action: 'permission_check', allowed: false, reason: 'rate_limit' },
  { ...bot, event_id: 'ev-old', action: 'permission_check', allowed: false },
  { ...bot, event_id: 'ev-asked', action: 'approval_requested', allowed: false, approval_id: 'apr_9' },
  {
    ...bot,
    event_id: 'ev-granted',
    action: 'approval_granted',
    allowed: true,
    approval_id: 'apr_9',
    decided_by: 'ops@example.com',
  },
  {
    ...bot,
    event_id: 'ev-expired',
    action: 'approval_expired',
    allowed: false,
    reason: 'approval',
    approval_id: 'apr_10',
  },
].map((e, i) => ({ ...e, timestamp: at(i) }));

let rig: DashboardRig;
let context: BrowserContext;
let page: Page;
let projectId = '';

beforeAll(async () => {
  rig = await startDashboardRig();
  const { project, apiKey } = await rig.server.admin.createProject('refunds');
  projectId = project.id;
  const response = await fetch(`${rig.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(EVENTS),
  });
  expect(response.status).toBe(200);
  context = await rig.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await logIn(page);
  await page.waitForURL(/#\/projects/);
});

afterAll(async () => {
  await rig?.close();
});

/** Waits until `locator` matches exactly `n` elements. */
async function expectCount(locator: Locator, n: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let count = await locator.count();
  while (count !== n && Date.now() < deadline) {
    await locator.page().waitForTimeout(50);
    count = await locator.count();
  }
  expect(count).toBe(n);
}

const feedRow = (id: string) => page.locator(`.feed .event-row[data-event-id="${id}"]`);
const auditRow = (id: string) => page.locator(`.audit-table tr[data-event-id="${id}"]`);

describe('the live feed', () => {
  test('shows why each denial was refused as a chip, and the approval and who decided on its steps', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    await feedRow('ev-expired').waitFor();
    const chip = (id: string) => feedRow(id).locator('.chip-reason');
    expect(await chip('ev-budget').innerText()).toBe('Budget used up');
    expect(await chip('ev-rate').innerText()).toBe('Rate limit');
    // Sent without a reason: read as a missing scope.
    expect(await chip('ev-old').getAttribute('data-reason')).toBe('scope');
    expect(await chip('ev-expired').innerText()).toBe('Approval refused');
    expect(await chip('ev-ok').count()).toBe(0);
    expect(await chip('ev-granted').count()).toBe(0);
    expect((await feedRow('ev-granted').locator('.approval').innerText()).trim()).toBe(
      '· approval apr_9 · by ops@example.com',
    );
    expect(await feedRow('ev-asked').getAttribute('data-outcome')).toBe('info');
  });

  test('filters by reason, kept in the address', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    await feedRow('ev-expired').waitFor();
    await page.getByLabel('Reason').selectOption('budget');
    await page.waitForURL(/\/feed\?reason=budget$/);
    await expectCount(page.locator('.feed .event-row'), 1);
    await feedRow('ev-budget').waitFor();

    await page.reload();
    await feedRow('ev-budget').waitFor();
    expect(await page.getByLabel('Reason').inputValue()).toBe('budget');
    await expectCount(page.locator('.feed .event-row'), 1);
  });
});

describe('the audit log', () => {
  test('filters by reason on the server, from the address and from the form', async () => {
    await page.goto(`/#/projects/${projectId}/audit?reason=rate_limit`);
    await auditRow('ev-rate').waitFor();
    await expectCount(page.locator('.audit-table tbody tr'), 1);
    expect(await page.getByLabel('Reason').inputValue()).toBe('rate_limit');
    expect(await auditRow('ev-rate').locator('.chip-reason').innerText()).toBe('Rate limit');

    await page.getByLabel('Reason').selectOption('scope');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/audit\?reason=scope$/);
    await auditRow('ev-old').waitFor();
    await expectCount(page.locator('.audit-table tbody tr'), 1);
    // The export links carry the same filter.
    expect(await page.locator('[data-export="csv"]').getAttribute('href')).toContain('reason=scope');
  });
});

describe('one event', () => {
  test('shows the reason, the approval (linked to its other steps) and who decided', async () => {
    await page.goto(`/#/projects/${projectId}/events/ev-granted`);
    const value = (name: string) => page.locator(`.event-fields dd[data-field="${name}"]`);
    await value('decided-by').waitFor();
    expect(await value('decided-by').innerText()).toBe('ops@example.com');
    expect(await value('reason').innerText()).toBe('—');
    await value('approval').locator('a[data-approval-link]').click();
    await page.waitForURL(/\/audit\?approval_id=apr_9$/);
    await auditRow('ev-asked').waitFor();
    await expectCount(page.locator('.audit-table tbody tr'), 2);

    await page.goto(`/#/projects/${projectId}/events/ev-budget`);
    await value('reason').locator('.chip-reason').waitFor();
    expect(await value('reason').innerText()).toBe('Budget used up');
  });
});

describe('analytics', () => {
  test('break the denials down by reason, each linked to its events', async () => {
    await page.goto(`/#/projects/${projectId}/analytics`);
    const table = page.locator('table', { hasText: 'Denials by reason' });
    await table.locator('tr[data-reason]').first().waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t').map((c) => c.trim()))).toEqual([
      ['Missing scope', '1', '25%'],
      ['Rate limit', '1', '25%'],
      ['Budget used up', '1', '25%'],
      ['Approval refused', '1', '25%'],
    ]);
    await table.getByRole('link', { name: 'Budget used up' }).click();
    await page.waitForURL(/\/audit\?reason=budget$/);
    await auditRow('ev-budget').waitFor();
  });
});
