import type { BrowserContext, Page } from 'playwright-core';
import {
  computedStyle,
  cssColour,
  logIn,
  startDashboardRig,
  WAIT_MS,
  type BrowserWindow,
  type DashboardRig,
} from './dashboard-harness';

jest.setTimeout(90_000);

/**
 * A compliance project's last minutes: LedgerBot is allowed one check, denied one and
 * audited once (onDeny: 'log', the call ran); Auditor runs in audit mode only.
 */
const CHECKS = [
  { agent_name: 'LedgerBot', action: 'permission_check', scope: 'read:ledger', allowed: true },
  { agent_name: 'LedgerBot', action: 'permission_check', scope: 'write:ledger', allowed: false },
  { agent_name: 'LedgerBot', action: 'audit_violation', scope: 'export:ledger', allowed: false },
  { agent_name: 'Auditor', action: 'audit_violation', scope: 'export:ledger', allowed: false },
  { agent_name: 'Auditor', action: 'audit_violation', scope: 'export:ledger', allowed: false },
  { agent_name: 'Auditor', action: 'audit_violation', scope: 'delete:ledger', allowed: false },
].map((e, i) => ({ ...e, timestamp: new Date(Date.now() - 120_000 + i * 1000).toISOString() }));

let rig: DashboardRig;
let projectId = '';

beforeAll(async () => {
  rig = await startDashboardRig();
  const { project, apiKey } = await rig.server.admin.createProject('ledger');
  projectId = project.id;
  const response = await fetch(`${rig.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(CHECKS),
  });
  expect(response.status).toBe(200);
});

afterAll(async () => {
  await rig?.close();
});

async function signedIn(viewport: { width: number; height: number }): Promise<Page> {
  const context: BrowserContext = await rig.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  await logIn(page);
  await page.waitForURL(/#\/projects/);
  return page;
}

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: WAIT_MS });
}

describe('audit-mode calls in analytics and agents', () => {
  test('analytics counts them as Audit, in amber, apart from denials and out of the top denied scopes', async () => {
    const page = await signedIn({ width: 1280, height: 860 });
    await page.goto(`/#/projects/${projectId}/analytics`);
    const kpi = (id: string) => page.locator(`[data-kpi="${id}"] .kpi-value`);
    await kpi('audit').waitFor();
    await expectText(kpi('events'), '6');
    await expectText(kpi('denied'), '1');
    await expectText(kpi('audit'), '4');
    await expectText(kpi('denial-rate'), '17%');
    const amber = await cssColour(page, 'var(--audit)');
    expect(await computedStyle(page, '[data-kpi="audit"] .kpi-value', 'color')).toBe(amber);

    // The chart has an Audit series in amber, named in its legend and its label.
    await expectText(page.locator('.legend'), 'Audit');
    expect(await computedStyle(page, '.legend .swatch.audit', 'background-color')).toBe(amber);
    const auditBars = page.locator('svg.chart rect.audit:not([height="0"])');
    expect(await auditBars.count()).toBe(1);
    expect(await computedStyle(page, 'svg.chart rect.audit:not([height="0"])', 'fill')).toBe(amber);
    expect(await page.locator('svg.chart').getAttribute('aria-label')).toContain(
      '6 checks, 1 denied, 4 audit',
    );

    const denied = page.locator('table', { hasText: 'Top denied scopes' });
    await expectText(denied, 'write:ledger');
    expect(await denied.innerText()).not.toContain('export:ledger');
    const audited = page.locator('table', { hasText: 'Top audited scopes' });
    await expectText(audited, 'export:ledger');
    expect(await audited.locator('tbody tr').first().innerText()).toMatch(/export:ledger\s+3/);

    const auditor = page.locator('tr[data-agent="Auditor"]');
    expect((await auditor.locator('td').allInnerTexts()).slice(0, 4)).toEqual(['3', '0', '3', '0%']);
  });

  test('an agent with only audit calls shows them in amber on its card, and nothing in red', async () => {
    const page = await signedIn({ width: 1280, height: 860 });
    await page.goto(`/#/projects/${projectId}/agents`);
    const card = page.locator('.agent-card[data-agent="Auditor"]');
    await card.waitFor();
    expect(await card.locator('[data-denied]').getAttribute('data-denied')).toBe('0');
    expect(await card.locator('[data-audit]').getAttribute('data-audit')).toBe('3');
    const amber = await cssColour(page, 'var(--audit)');
    expect(await computedStyle(page, '.agent-card[data-agent="Auditor"] [data-audit]', 'color')).toBe(amber);
    expect(await computedStyle(page, '.agent-card[data-agent="Auditor"] .chip', 'border-top-color')).toBe(
      amber,
    );
    await expectText(card.locator('.chips'), '2 audit');

    const red = [await cssColour(page, 'var(--denied)'), await cssColour(page, 'var(--denied-bg)')];
    const colours = await card.evaluate((el) => {
      const w = globalThis as unknown as BrowserWindow;
      const all = [
        el,
        ...Array.from((el as { querySelectorAll(s: string): unknown[] }).querySelectorAll('*')),
      ];
      return all.flatMap((e) => {
        const style = w.getComputedStyle(e);
        return ['color', 'background-color', 'border-top-color', 'border-left-color'].map((p) =>
          style.getPropertyValue(p),
        );
      });
    });
    expect(colours.filter((c) => red.includes(c))).toEqual([]);

    // LedgerBot, denied once, still shows that denial in red.
    const ledger = '.agent-card[data-agent="LedgerBot"]';
    expect(await computedStyle(page, `${ledger} [data-denied]`, 'color')).toBe(red[0]);
  });
});
