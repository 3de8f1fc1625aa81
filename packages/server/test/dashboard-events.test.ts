import type { BrowserContext, Locator, Page } from 'playwright-core';
import { logIn, startDashboardRig, WAIT_MS, type DashboardRig } from './dashboard-harness';

jest.setTimeout(90_000);

/**
 * One support session, as an SDK sends it: the session's start, a check that was allowed
 * (stamped to the microsecond, as the Python SDK does, with metadata from the agent that
 * holds markup), a refund that was denied, and the session's end; then a check of another
 * session. Oldest first, a second apart, all within the last minute.
 */
const started = Math.floor(Date.now() / 1000) * 1000 - 60_000;
/** A whole second, or with the fraction given (`'156322'`). */
const at = (second: number, fraction = '000') =>
  new Date(started + second * 1000).toISOString().replace('.000Z', `.${fraction}Z`);
const METADATA = {
  ticket: 'T-1042',
  note: '<img src=x onerror="globalThis.injected=1"><b>bold</b>',
  customer: { tier: 'gold', regions: ['eu', 'us'] },
};
const SESSION = 'sess-support-7';
const base = {
  agent_name: 'SupportBot',
  agent_id: 'agt-support-1',
  role: 'support',
  session_id: SESSION,
  sdk: 'agentsudo-js/0.1.0',
};
const EVENTS = {
  start: { ...base, event_id: 'ev-start', action: 'session_start', allowed: true, timestamp: at(0) },
  lookup: {
    ...base,
    event_id: 'ev-lookup',
    action: 'permission_check',
    scope: 'read:customers',
    allowed: true,
    function_name: 'CustomerService.getCustomer',
    metadata: METADATA,
    timestamp: at(1, '156322'),
  },
  refund: {
    ...base,
    event_id: 'ev-refund',
    action: 'permission_check',
    scope: 'write:refunds',
    allowed: false,
    function_name: 'CustomerService.processRefund',
    timestamp: at(2),
  },
  end: { ...base, event_id: 'ev-end', action: 'session_end', allowed: true, timestamp: at(3) },
  other: {
    ...base,
    session_id: 'sess-other',
    event_id: 'ev-other',
    action: 'permission_check',
    scope: 'read:orders',
    allowed: true,
    function_name: 'OrderService.getOrder',
    timestamp: at(4),
  },
};

let rig: DashboardRig;
let context: BrowserContext;
let page: Page;
let projectId = '';
/** Script errors and policy violations (e.g. CSP) seen in any page. */
const pageErrors: string[] = [];

beforeAll(async () => {
  rig = await startDashboardRig();
  context = await rig.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  context.on('page', watch);
  page = await context.newPage();
  const created = await rig.server.admin.createProject('support-desk');
  projectId = created.project.id;
  expect((await ingest(created.apiKey, Object.values(EVENTS))).status).toBe(200);
  await logIn(page);
  await page.locator('.user').waitFor({ state: 'attached' });
});

afterAll(async () => {
  await rig?.close();
});

function watch(p: Page): void {
  p.on('pageerror', (error) => pageErrors.push(error.message));
  p.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageErrors.push(message.text());
    }
  });
}

const auditRow = (eventId: string) => page.locator(`.audit-table tbody tr[data-event-id="${eventId}"]`);
const field = (p: Page, name: string) => p.locator(`.event-detail dd[data-field="${name}"]`);
const eventUrl = (eventId: string) => new RegExp(`#/projects/${projectId}/events/${eventId}$`);

describe('an event in full', () => {
  test('clicking a row of the audit log opens the event with every field the server holds', async () => {
    await page.goto(`/#/projects/${projectId}/audit`);
    await auditRow('ev-lookup').click();
    await page.waitForURL(eventUrl('ev-lookup'));
    await expectEventPage(page);
  });

  test('the metadata is pretty-printed as text: markup in it is shown, never run', async () => {
    const metadata = page.locator('.event-detail pre.metadata');
    expect(await metadata.textContent()).toBe(JSON.stringify(METADATA, null, 2));
    expect(await page.locator('.event-detail img, .event-detail b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { injected?: number }).injected)).toBeUndefined();
  });

  test('the page has its own address: it works on reload and pasted into a new tab', async () => {
    await page.reload();
    await expectEventPage(page);
    const pasted = await context.newPage();
    await pasted.goto(`/#/projects/${projectId}/events/ev-lookup`);
    await expectEventPage(pasted);
    await pasted.close();
  });

  test('the session links to the audit log of that session’s events', async () => {
    await page.getByRole('link', { name: 'All events of this session →' }).click();
    await page.waitForURL(/\/audit\?session=sess-support-7$/);
    await expectCount(page.locator('.audit-table tbody tr'), 4);
    expect(await page.locator('.audit-table tbody tr[data-event-id="ev-other"]').count()).toBe(0);
    expect(await page.getByLabel('Session').inputValue()).toBe(SESSION);
  });

  test('Back returns to the page it was opened from, with its filters', async () => {
    await page.goto(`/#/projects/${projectId}/audit?outcome=denied`);
    await auditRow('ev-refund').click();
    await page.waitForURL(eventUrl('ev-refund'));
    await expectText(field(page, 'outcome'), 'Denied');
    await page.getByRole('link', { name: '← Back' }).click();
    await page.waitForURL(/\/audit\?outcome=denied$/);
    await expectCount(page.locator('.audit-table tbody tr'), 1);
    // Opened from a pasted address there is no page to go back to: it offers the audit log.
    const pasted = await context.newPage();
    await pasted.goto(`/#/projects/${projectId}/events/ev-refund`);
    await pasted.getByRole('link', { name: '← Audit log' }).click();
    await pasted.waitForURL(new RegExp(`#/projects/${projectId}/audit$`));
    await pasted.close();
  });

  test('with the keyboard: a live-feed row takes focus and Enter opens it', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    const row = page.locator('.feed .event-row[data-event-id="ev-refund"]');
    await row.waitFor();
    await row.focus();
    const focused = await page.evaluate(
      () =>
        (globalThis as unknown as { document: { activeElement: { dataset: { eventId?: string } } } }).document
          .activeElement.dataset.eventId,
    );
    expect(focused).toBe('ev-refund');
    await page.keyboard.press('Enter');
    await page.waitForURL(eventUrl('ev-refund'));
    await expectText(field(page, 'function'), 'CustomerService.processRefund');
  });

  test('an event of another project is not found under this one', async () => {
    const other = await rig.server.admin.createProject('elsewhere');
    expect((await ingest(other.apiKey, [{ ...EVENTS.other, event_id: 'ev-elsewhere' }])).status).toBe(200);
    await page.goto(`/#/projects/${projectId}/events/ev-elsewhere`);
    await expectText(page.getByRole('alert'), 'No event "ev-elsewhere"');
    expect(await page.locator('.event-detail').count()).toBe(0);
  });
});

describe('live-feed filters in the address', () => {
  const rows = () => page.locator('.feed .event-row');

  test('each filter change is a step in the history that back and forward walk, without reconnecting', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    await expectCount(rows(), 5);
    // The feed's list stays the same element throughout: nothing is drawn again.
    await page.locator('.feed').evaluate((el) => ((el as unknown as { marker: string }).marker = 'kept'));

    await page.getByLabel('Outcome').selectOption('allowed');
    await page.waitForURL(/\/feed\?outcome=allowed$/);
    await expectCount(rows(), 2);
    await page.getByLabel('Agent').fill('support');
    await page.waitForURL(/\/feed\?agent=support&outcome=allowed$/);

    await page.goBack();
    await page.waitForURL(/\/feed\?outcome=allowed$/);
    expect(await page.getByLabel('Agent').inputValue()).toBe('');
    expect(await page.getByLabel('Outcome').inputValue()).toBe('allowed');
    await expectCount(rows(), 2);
    await page.goBack();
    await page.waitForURL(/\/feed$/);
    expect(await page.getByLabel('Outcome').inputValue()).toBe('');
    await expectCount(rows(), 5);
    await page.goForward();
    await page.waitForURL(/\/feed\?outcome=allowed$/);
    await expectCount(rows(), 2);
    expect(await page.locator('.feed').evaluate((el) => (el as unknown as { marker?: string }).marker)).toBe(
      'kept',
    );
    await expectText(page.locator('.live-status'), 'Live');
  });

  test('session start and end rows can be hidden, and a reload keeps every filter', async () => {
    await page.goto(`/#/projects/${projectId}/feed`);
    await expectCount(page.locator('.feed .event-row.outcome-info'), 2);
    await page.getByLabel('Hide session start and end').check();
    await page.waitForURL(/\/feed\?sessions=hide$/);
    await expectCount(rows(), 3);
    expect(await page.locator('.feed .event-row.outcome-info').count()).toBe(0);
    await page.getByLabel('Agent').fill('Support');
    await page.getByLabel('Outcome').selectOption('denied');
    await page.waitForURL(/\/feed\?agent=Support&outcome=denied&sessions=hide$/);

    await page.reload();
    await expectCount(rows(), 1);
    await rows().filter({ hasText: 'processRefund' }).waitFor();
    expect(await page.getByLabel('Agent').inputValue()).toBe('Support');
    expect(await page.getByLabel('Outcome').inputValue()).toBe('denied');
    expect(await page.getByLabel('Hide session start and end').isChecked()).toBe(true);
  });

  test('opening an event and coming back keeps the feed’s filters', async () => {
    await rows().first().click();
    await page.waitForURL(eventUrl('ev-refund'));
    await page.getByRole('link', { name: '← Back' }).click();
    await page.waitForURL(/\/feed\?agent=Support&outcome=denied&sessions=hide$/);
    await expectCount(rows(), 1);
    expect(await page.getByLabel('Hide session start and end').isChecked()).toBe(true);
  });
});

describe('times', () => {
  /** A viewer half an hour off any whole-hour zone, so local and UTC differ in hour and minute. */
  const TZ = { timezoneId: 'Asia/Kolkata', locale: 'en-US' };
  const clock = (ms: number) => {
    const d = new Date(ms);
    const two = (n: number) => String(n).padStart(2, '0');
    return `${two(d.getUTCHours() % 12 || 12)}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  };
  const lookupMs = Date.parse(EVENTS.lookup.timestamp);
  const IST = 5.5 * 3_600_000;

  test('show their zone, with the fraction of a second the event holds and no invented digits', async () => {
    const viewer = await (await rig.newContext(TZ)).newPage();
    await logIn(viewer);
    await viewer.locator('.user').waitFor({ state: 'attached' });
    await viewer.goto(`/#/projects/${projectId}/events/ev-lookup`);
    const time = field(viewer, 'event-time').locator('time');
    await expectText(time, `${clock(lookupMs + IST)}.156322`);
    await expectText(time, 'GMT+5:30');
    // A whole second shows no fraction at all, in the feed and the audit log alike.
    await viewer.goto(`/#/projects/${projectId}/audit`);
    const refund = viewer.locator('.audit-table tr[data-event-id="ev-refund"] time');
    await expectText(refund, 'GMT+5:30');
    const shown = (await refund.textContent()) ?? '';
    expect(shown).toContain(clock(Date.parse(EVENTS.refund.timestamp) + IST));
    expect(shown).not.toMatch(/:\d\d\.\d/);
    await viewer.close();
  });

  test('switch between local time and UTC, and the choice is remembered', async () => {
    const viewerContext = await rig.newContext(TZ);
    const viewer = await viewerContext.newPage();
    await logIn(viewer);
    await viewer.locator('.user').waitFor({ state: 'attached' });
    await viewer.goto(`/#/projects/${projectId}/events/ev-lookup`);
    const time = field(viewer, 'event-time').locator('time');
    await expectText(time, 'GMT+5:30');
    await viewer.getByLabel('Time zone').selectOption('utc');
    await expectText(time, `${clock(lookupMs)}.156322`);
    await expectText(time, 'UTC');
    // The audit log's rows follow, and a reload and another tab keep the choice.
    await viewer.reload();
    await expectText(field(viewer, 'event-time').locator('time'), 'UTC');
    const other = await viewerContext.newPage();
    await other.goto(`/#/projects/${projectId}/audit`);
    await expectText(
      other.locator('.audit-table tr[data-event-id="ev-lookup"] time'),
      `${clock(lookupMs)}.156322`,
    );
    expect(await other.getByLabel('Time zone').inputValue()).toBe('utc');
    // Back to local time.
    await other.getByLabel('Time zone').selectOption('local');
    await expectText(other.locator('.audit-table tr[data-event-id="ev-lookup"] time'), 'GMT+5:30');
    await other.close();
    await viewer.close();
  });
});

describe('the whole visit', () => {
  test('no page raised a script error or a content-security-policy violation', () => {
    expect(pageErrors).toEqual([]);
  });
});

/** The lookup event's page, field by field. */
async function expectEventPage(p: Page): Promise<void> {
  const e = EVENTS.lookup;
  await expectText(field(p, 'event-id'), e.event_id);
  await expectText(field(p, 'agent-name'), e.agent_name);
  await expectText(field(p, 'agent-id'), e.agent_id);
  await expectText(field(p, 'role'), e.role);
  await expectText(field(p, 'scope'), e.scope);
  await expectText(field(p, 'function'), e.function_name);
  await expectText(field(p, 'action'), e.action);
  await expectText(field(p, 'outcome'), 'Allowed');
  await expectText(field(p, 'session'), e.session_id);
  await expectText(field(p, 'sdk'), e.sdk);
  // The exact time the server holds, microseconds included, and when it was received.
  await expectText(field(p, 'event-time'), e.timestamp);
  const received = (await field(p, 'received').locator('code').textContent()) ?? '';
  expect(Date.parse(received)).toBeGreaterThanOrEqual(Date.parse(e.timestamp));
  await expectText(field(p, 'metadata'), '"ticket": "T-1042"');
}

async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: WAIT_MS });
}

/** Waits (bounded) until the locator matches exactly `n` elements on a settled page. */
async function expectCount(locator: Locator, n: number): Promise<void> {
  const p = locator.page();
  const busy = p.locator('#app[aria-busy="true"], #app [aria-busy="true"]');
  const deadline = Date.now() + WAIT_MS;
  let count = -1;
  while (Date.now() < deadline) {
    count = (await busy.count()) > 0 ? -1 : await locator.count();
    if (count === n) break;
    await p.waitForTimeout(50);
  }
  expect(count).toBe(n);
}

function ingest(apiKey: string, events: object[]): Promise<Response> {
  return fetch(`${rig.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(events),
  });
}
