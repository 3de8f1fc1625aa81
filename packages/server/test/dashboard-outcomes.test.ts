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

/** The analytics ranges, and how many bars each draws (the range's edges may add one). */
const RANGES: Array<[string, number, number]> = [
  ['1h', 60, 61],
  ['24h', 24, 25],
  ['7d', 168, 169],
  ['30d', 30, 31],
];

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
    // The same Checks as its analytics row: audit calls are checks, session events are not.
    expect(await card.locator('[data-checks]').getAttribute('data-checks')).toBe('3');
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

describe('the analytics chart on a phone', () => {
  /** Every label of the chart: its box on screen, and its font size as shown. */
  interface Label {
    text: string;
    xLabel: boolean;
    left: number;
    right: number;
    top: number;
    bottom: number;
    px: number;
  }

  async function chartLabels(
    page: Page,
  ): Promise<{ chart: Omit<Label, 'text' | 'xLabel' | 'px'>; labels: Label[] }> {
    return page.locator('svg.chart').evaluate((chart) => {
      type Box = { left: number; right: number; top: number; bottom: number; width: number };
      type El = {
        getBoundingClientRect(): Box;
        textContent: string;
        classList: { contains(c: string): boolean };
      };
      const w = globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } };
      const svg = chart as unknown as El & {
        viewBox: { baseVal: { width: number } };
        querySelectorAll(s: string): ArrayLike<El>;
      };
      const box = svg.getBoundingClientRect();
      const scale = box.width / svg.viewBox.baseVal.width;
      const labels = Array.from(svg.querySelectorAll('text')).map((t) => {
        const b = t.getBoundingClientRect();
        return {
          text: t.textContent,
          xLabel: t.classList.contains('x-label'),
          left: b.left,
          right: b.right,
          top: b.top,
          bottom: b.bottom,
          px: parseFloat(w.getComputedStyle(t).fontSize) * scale,
        };
      });
      return { chart: { left: box.left, right: box.right, top: box.top, bottom: box.bottom }, labels };
    });
  }

  /**
   * What makes the chart's labels hard to read, as sentences (none when all is well): text
   * under 10 px as shown, text sticking out of the chart, labels overlapping, fewer than two
   * time labels. Waits (bounded) for the chart to be drawn at the width it is shown.
   */
  async function unreadable(page: Page, when: string): Promise<string[]> {
    const drawnAtShownWidth = await page
      .waitForFunction(
        () => {
          const d = (globalThis as unknown as { document: { querySelector(s: string): any } }).document;
          const chart = d.querySelector('svg.chart');
          return Math.abs(chart.viewBox.baseVal.width - chart.getBoundingClientRect().width) < 1;
        },
        undefined,
        { timeout: WAIT_MS },
      )
      .then(() => true)
      .catch(() => false);
    const { chart, labels } = await chartLabels(page);
    const problems: string[] = [];
    if (!drawnAtShownWidth) problems.push(`${when}: the chart is not drawn at the width it is shown`);
    const name = (l: Label) => `${when}: "${l.text}"`;
    if (labels.filter((l) => l.xLabel).length < 2) problems.push(`${when}: fewer than 2 time labels`);
    for (const l of labels) {
      if (l.px < 10) problems.push(`${name(l)} is ${l.px.toFixed(1)} px`);
      const inside =
        l.left >= chart.left - 0.5 &&
        l.right <= chart.right + 0.5 &&
        l.top >= chart.top - 0.5 &&
        l.bottom <= chart.bottom + 0.5;
      if (!inside) problems.push(`${name(l)} is cut off`);
    }
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i], labels[j]];
        const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        if (!apart) problems.push(`${name(a)} overlaps ${name(b)}`);
      }
    return problems;
  }

  test.each([
    [390, 390],
    [1280, 1280],
    [1280, 390],
  ])(
    'opened at %i px and shown at %i px, every range has readable labels: at least 10 px, inside the chart, none overlapping',
    async (opened, width) => {
      const page = await signedIn({ width: opened, height: 844 });
      await page.goto(`/#/projects/${projectId}/analytics`);
      await page.locator('svg.chart').waitFor();
      const problems: string[] = [];
      if (width !== opened) {
        // A phone turned, or a window narrowed, after the chart was drawn.
        await page.setViewportSize({ width, height: 844 });
        problems.push(...(await unreadable(page, 'after resizing')));
      }
      for (const [range, fewest, most] of RANGES) {
        await page.getByLabel('Range', { exact: true }).selectOption(range);
        await page.waitForFunction(
          ([lo, hi]) => {
            const d = (
              globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
            ).document;
            const n = d.querySelectorAll('svg.chart .bar').length;
            return n >= lo && n <= hi;
          },
          [fewest, most],
          { timeout: WAIT_MS },
        );
        problems.push(...(await unreadable(page, range)));
      }
      expect(problems).toEqual([]);
    },
  );
});
