import { Agent, PermissionDeniedError, configure, sudo } from '@agentsudo/core';
import { closeApprovalStreams, cloudApproval } from '@agentsudo/transport-cloud';
import type { Page } from 'playwright-core';
import {
  LOGIN,
  WAIT_MS,
  computedStyle,
  cssColour,
  horizontalOverflow,
  logIn,
  startDashboardRig,
  type DashboardRig,
} from './dashboard-harness';

jest.setTimeout(120_000);

let rig: DashboardRig;
let page: Page;
let projectId = '';
let ingestKey = '';

const bot = new Agent({ name: 'RefundBot', scopes: ['read:orders'] });
/** Calls of the guarded refund that actually ran, in order. */
const ran: Array<[string, number]> = [];
let refund: (orderId: string, amount: number) => Promise<string>;

beforeAll(async () => {
  configure({ transports: [] });
  rig = await startDashboardRig();
  const created = await rig.server.admin.createProject('support-desk');
  projectId = created.project.id;
  ingestKey = created.apiKey;
  // The agent side, as a user writes it: an async refund that asks a person when the
  // agent lacks the scope, against the real server with the project's ingest key.
  const guarded = sudo(
    'write:refunds',
    async (orderId: string, amount: number) => {
      ran.push([orderId, amount]);
      return `refunded ${amount} on ${orderId}`;
    },
    {
      name: 'Payments.refund',
      onDeny: cloudApproval({
        endpoint: rig.url,
        apiKey: ingestKey,
        timeoutMs: 120_000,
        describe: (orderId: string, amount: number) => `Refund ${amount} EUR on order ${orderId}`,
      }),
    },
  );
  refund = (orderId, amount) => bot.startSession(() => guarded(orderId, amount));
  page = await (await rig.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await logIn(page);
  await page.locator('.user').waitFor({ state: 'attached' });
});

afterAll(async () => {
  closeApprovalStreams();
  await rig?.close();
});

/** The server's pending requests of the project, read the way a read token would. */
async function pendingOnServer(): Promise<Array<{ id: string; description?: string }>> {
  const page = await rig.server.storage.approvals.list(projectId, { status: 'pending', limit: 50 });
  return page.approvals;
}

async function waitForPending(n: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS * 2;
  while ((await pendingOnServer()).length !== n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} pending approvals on the server`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const queueItem = (description: string) => page.locator('li.approval', { hasText: description });

describe('Approvals page: an agent waits, a person decides in the dashboard', () => {
  test('a waiting call shows in the queue with its description; approving with a reason lets it run and return its value', async () => {
    await page.goto(`/#/projects/${projectId}/approvals`);
    await page.getByText('No requests are waiting.').waitFor();

    const call = refund('o-7', 120);
    const item = queueItem('Refund 120 EUR on order o-7');
    await item.waitFor();
    expect(await item.locator('.agent').textContent()).toBe('RefundBot');
    expect(await item.locator('.scope').textContent()).toBe('write:refunds');
    expect(await item.locator('.function').textContent()).toBe('Payments.refund');
    await expect(page.locator('.time-left').first().textContent()).resolves.toMatch(/^1 min \d\d s left$/);
    expect(ran).toEqual([]);

    await item.getByLabel('Reason').fill('known customer, order checked');
    await item.getByRole('button', { name: 'Approve Payments.refund for RefundBot' }).click();

    await expect(call).resolves.toBe('refunded 120 on o-7');
    expect(ran).toEqual([['o-7', 120]]);
    await queueItem('Refund 120 EUR on order o-7').waitFor({ state: 'detached' });

    const row = page.locator('tbody tr', { hasText: 'Refund 120 EUR on order o-7' });
    await row.waitFor();
    expect(await row.locator('.decided-by').textContent()).toBe(LOGIN.email);
    expect(await row.textContent()).toContain('known customer, order checked');
    expect(await row.textContent()).toContain('Approved');
  });

  test('denying refuses the call with PermissionDeniedError; the history filter shows it under Denied only', async () => {
    await page.goto(`/#/projects/${projectId}/approvals`);
    await page.getByText('No requests are waiting.').waitFor();
    const call = refund('o-8', 900);
    const outcome = call.catch((e: unknown) => e);
    const item = queueItem('Refund 900 EUR on order o-8');
    await item.waitFor();
    await item.getByLabel('Reason').fill('over the limit');
    await item.getByRole('button', { name: 'Deny Payments.refund for RefundBot' }).click();

    const err = (await outcome) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.reason).toBe('approval');
    expect(ran).toEqual([['o-7', 120]]);

    // The unfiltered history holds both decisions; each filter leaves only its own.
    const rows = page.locator('tbody tr[data-approval]');
    const approvedRow = page.locator('tbody tr', { hasText: 'known customer' });
    const deniedRow = page.locator('tbody tr', { hasText: 'over the limit' });
    await deniedRow.waitFor();
    await approvedRow.waitFor();
    await page.getByLabel('Outcome').selectOption('denied');
    await approvedRow.waitFor({ state: 'detached' });
    await expect(deniedRow.count()).resolves.toBe(1);
    await expect(rows.count()).resolves.toBe(1);
    await page.getByLabel('Outcome').selectOption('approved');
    await deniedRow.waitFor({ state: 'detached' });
    await expect(approvedRow.count()).resolves.toBe(1);
    await expect(rows.count()).resolves.toBe(1);
    await page.getByLabel('Outcome').selectOption('');
  });

  test("an older history answer that arrives after a newer filter's never draws over it", async () => {
    // The unfiltered history (the page's first load) is held back until the Denied filter
    // has answered, as a slow network or a busy server can do.
    const unfiltered = (url: URL) => url.pathname.endsWith('/approvals') && !url.searchParams.has('status');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(unfiltered, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(`/#/projects/${projectId}/settings`);
      const first = page.waitForRequest((r) => unfiltered(new URL(r.url())));
      await page.goto(`/#/projects/${projectId}/approvals`);
      await first;
      await page.getByText('No requests are waiting.').waitFor();
      await page.getByLabel('Outcome').selectOption('denied');
      const deniedRow = page.locator('tbody tr', { hasText: 'over the limit' });
      await deniedRow.waitFor();
      const late = page.waitForResponse((r) => unfiltered(new URL(r.url())));
      release();
      await (await late).finished();
      // Time for the page to read and draw the late answer, if it were going to.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
      await expect(page.locator('tbody tr[data-approval]').count()).resolves.toBe(1);
      await expect(deniedRow.count()).resolves.toBe(1);
    } finally {
      await page.unroute(unfiltered);
      await page.getByLabel('Outcome').selectOption('');
    }
  });

  test('"remember for 15 minutes": the next call runs without asking and the grant is listed; Revoke makes the next call ask again', async () => {
    await page.goto(`/#/projects/${projectId}/approvals`);
    await page.getByText('No requests are waiting.').waitFor();
    const first = refund('o-9', 30);
    const item = queueItem('Refund 30 EUR on order o-9');
    await item.waitFor();
    await item.getByLabel('Remember for').selectOption({ label: '15 minutes' });
    await item.getByRole('button', { name: 'Approve Payments.refund for RefundBot' }).click();
    await expect(first).resolves.toBe('refunded 30 on o-9');

    const grant = page.locator('tr[data-grant]', { hasText: 'RefundBot' });
    await grant.getByRole('button', { name: 'Revoke write:refunds for RefundBot' }).waitFor();
    expect(await grant.textContent()).toContain(LOGIN.email);
    expect(await grant.textContent()).toContain('Any arguments');

    // Covered by the grant: it runs at once, and no request reaches the queue.
    const before = (await rig.server.storage.approvals.list(projectId, { limit: 200 })).approvals.length;
    await expect(refund('o-10', 45)).resolves.toBe('refunded 45 on o-10');
    expect((await rig.server.storage.approvals.list(projectId, { limit: 200 })).approvals).toHaveLength(
      before,
    );

    await grant.getByRole('button', { name: 'Revoke write:refunds for RefundBot' }).click();
    await grant.getByText(/Revoked by ops@example\.com/).waitFor();

    // The revocation reaches the agent's process by push; the next call asks a person again.
    const asked = refund('o-11', 60).catch((e: unknown) => e);
    await queueItem('Refund 60 EUR on order o-11').waitFor();
    await waitForPending(1);
    await queueItem('Refund 60 EUR on order o-11')
      .getByRole('button', { name: 'Deny Payments.refund for RefundBot' })
      .click();
    await expect(asked).resolves.toBeInstanceOf(PermissionDeniedError);
    expect(ran.map(([order]) => order)).toEqual(['o-7', 'o-9', 'o-10']);
  });

  test('the nav badge counts pending requests live on any page of the project', async () => {
    await page.goto(`/#/projects/${projectId}/settings`);
    const badge = page.getByTestId('pending-count');
    await page.locator('a[data-section="approvals"]').waitFor();
    await expect(badge.isHidden()).resolves.toBe(true);

    const a = refund('o-20', 10).catch((e: unknown) => e);
    await page.locator('[data-testid="pending-count"]:visible', { hasText: /^1/ }).waitFor();
    const b = refund('o-21', 11).catch((e: unknown) => e);
    await page.locator('[data-testid="pending-count"]:visible', { hasText: /^2/ }).waitFor();
    expect(await page.locator('a[data-section="approvals"]').textContent()).toBe('Approvals2 pending');

    await page.locator('a[data-section="approvals"]').click();
    for (const order of ['o-20', 'o-21']) {
      await queueItem(`on order ${order}`)
        .getByRole('button', { name: /^Deny / })
        .click();
    }
    await expect(a).resolves.toBeInstanceOf(PermissionDeniedError);
    await expect(b).resolves.toBeInstanceOf(PermissionDeniedError);
    await page.locator('[data-testid="pending-count"]').waitFor({ state: 'hidden' });
  });

  test('a read token lists the queue but may not decide', async () => {
    const { token } = await rig.server.admin.createReadToken(projectId);
    const call = refund('o-30', 5).catch((e: unknown) => e);
    await waitForPending(1);
    const [asked] = await pendingOnServer();
    const listed = await fetch(`${rig.url}/api/projects/${projectId}/approvals?status=pending`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { pending: number }).pending).toBe(1);
    const decided = await fetch(`${rig.url}/api/projects/${projectId}/approvals/${asked.id}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.status).toBe(403);
    await queueItem('on order o-30')
      .getByRole('button', { name: /^Deny / })
      .click();
    await expect(call).resolves.toBeInstanceOf(PermissionDeniedError);
  });

  test('at phone width (390 px) the queue and its buttons fit the screen', async () => {
    const phone = await (await rig.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await logIn(phone);
    await phone.locator('.user').waitFor({ state: 'attached' });
    const call = refund('o-40', 7).catch((e: unknown) => e);
    await phone.goto(`/#/projects/${projectId}/approvals`);
    const item = phone.locator('li.approval', { hasText: 'on order o-40' });
    await item.getByRole('button', { name: /^Approve / }).waitFor();
    expect(await horizontalOverflow(phone)).toBe(0);
    // Keyboard only: the reason field, then Tab to the buttons.
    await item.getByLabel('Reason').focus();
    await phone.keyboard.type('by keyboard');
    await item.getByRole('button', { name: /^Deny / }).focus();
    await phone.keyboard.press('Enter');
    await expect(call).resolves.toBeInstanceOf(PermissionDeniedError);
  });

  test('in dark mode the queue, its badge and its buttons take the dark colours', async () => {
    const dark = await (
      await rig.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' })
    ).newPage();
    await logIn(dark);
    await dark.locator('.user').waitFor({ state: 'attached' });
    const call = refund('o-50', 8).catch((e: unknown) => e);
    await dark.goto(`/#/projects/${projectId}/approvals`);
    await dark.locator('li.approval', { hasText: 'on order o-50' }).waitFor();
    await dark.locator('[data-testid="pending-count"]:visible').waitFor();
    expect(await computedStyle(dark, 'li.approval', 'background-color')).toBe(
      await cssColour(dark, 'var(--surface)'),
    );
    expect(await computedStyle(dark, 'li.approval', 'color')).toBe(await cssColour(dark, 'var(--text)'));
    const [r, g, b] = (await computedStyle(dark, 'li.approval', 'background-color'))
      .match(/\d+/g)!
      .map(Number);
    expect(r + g + b).toBeLessThan(120);
    expect(await computedStyle(dark, '[data-testid="pending-count"]', 'background-color')).toBe(
      await cssColour(dark, 'var(--audit)'),
    );
    expect(await computedStyle(dark, '[data-testid="pending-count"]', 'color')).toBe(
      await cssColour(dark, 'var(--surface)'),
    );
    await dark
      .locator('li.approval', { hasText: 'on order o-50' })
      .getByRole('button', { name: /^Deny / })
      .click();
    await expect(call).resolves.toBeInstanceOf(PermissionDeniedError);
  });
});
