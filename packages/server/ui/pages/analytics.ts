import { api, type Bucket, type Stats } from '../api';
import { fitAxisLabels, sparkline, timeSeriesChart } from '../charts';
import { field, h, options, replaceChildren } from '../dom';
import { latestOnly } from '../latest';
import { formatCount, formatPercent, REASONS, reasonLabel } from '../format';
import { notice, pageHeader } from '../layout';
import type { Page } from '../router';
import { projectSetupSteps } from '../snippet';

/** The ranges a user can pick, and the bucket each is drawn with. */
const RANGES: Record<string, { label: string; ms: number; bucket: Bucket }> = {
  '1h': { label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'hour' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
};

function kpi(label: string, value: string, id: string, tone = ''): HTMLElement {
  return h(
    'div',
    { class: `card kpi ${tone}`, 'data-kpi': id },
    h('span', { class: 'kpi-label' }, label),
    h('span', { class: 'kpi-value' }, value),
  );
}

function table(caption: string, head: string[], rows: HTMLTableRowElement[], emptyText: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows
          : h('tr', {}, h('td', { colspan: String(head.length), class: 'muted' }, emptyText)),
      ),
    ),
  );
}

/**
 * Analytics: denials, audit-mode violations, denial rate, active agents, checks over time
 * for a chosen range, denials by reason, the most denied and most audited scopes and each agent's activity
 * with a sparkline.
 *
 * @example
 * ```ts
 * router.add('/projects/:project/analytics', analyticsPage);
 * ```
 */
export const analyticsPage: Page = (main, { project }) => {
  const range = h(
    'select',
    { name: 'range' },
    options(
      Object.entries(RANGES).map(([value, r]) => [value, r.label] as const),
      sessionStorage.getItem('agentsudo.range') ?? '24h',
    ),
  );
  const body = h('div', { class: 'analytics' }, notice('loading', 'Loading statistics…'));
  const loads = latestOnly();
  /** Kept across the 30-second redraws, so the key lookup runs once. */
  let setup: HTMLElement | undefined;
  /** Draws the chart again at its box's new width (a rotated phone, a resized window). */
  let resized: ResizeObserver | undefined;

  async function load(): Promise<void> {
    const current = loads.begin();
    const chosen = RANGES[range.value] ?? RANGES['24h'];
    sessionStorage.setItem('agentsudo.range', range.value);
    const to = new Date();
    const query = {
      from: new Date(to.getTime() - chosen.ms).toISOString(),
      to: to.toISOString(),
      bucket: chosen.bucket,
    };
    try {
      const [stats, series] = await Promise.all([
        api.stats(project, query),
        api.agentActivity(project, query),
      ]);
      if (!current()) return;
      draw(stats, new Map(series.agents.map((a) => [a.agent_name, a.points])));
    } catch (err) {
      if (current()) replaceChildren(body, notice('error', (err as Error).message));
    }
  }

  function draw(stats: Stats, series: Map<string, Array<{ events: number; denied: number }>>): void {
    const { totals } = stats;
    const chartBox = h('div', { class: 'chart-box' });
    const kpis = h(
      'div',
      { class: 'kpis' },
      kpi('Checks', formatCount(totals.events), 'events'),
      kpi('Denied', formatCount(totals.denied), 'denied', totals.denied > 0 ? 'tone-denied' : ''),
      kpi('Audit', formatCount(totals.audit), 'audit', totals.audit > 0 ? 'tone-audit' : ''),
      kpi('Denial rate', formatPercent(totals.denied, totals.events), 'denial-rate'),
      kpi('Active agents', formatCount(stats.active_agents), 'active-agents'),
    );
    const scopeRow = (scope: string, n: number) =>
      h('tr', {}, h('td', {}, h('code', {}, scope)), h('td', { class: 'num' }, formatCount(n)));
    const deniedScopes = stats.top_denied_scopes.map((s) => scopeRow(s.scope, s.denied));
    // Every reason with a denial in the range, most first; each links to those denials.
    const reasons = REASONS.filter((r) => stats.reasons[r] > 0)
      .sort((a, b) => stats.reasons[b] - stats.reasons[a])
      .map((r) =>
        h(
          'tr',
          { 'data-reason': r },
          h(
            'td',
            {},
            h(
              'a',
              {
                href: `#/projects/${encodeURIComponent(project)}/audit?${new URLSearchParams({ reason: r })}`,
              },
              reasonLabel(r),
            ),
          ),
          h('td', { class: 'num' }, formatCount(stats.reasons[r])),
          h('td', { class: 'num' }, formatPercent(stats.reasons[r], totals.denied)),
        ),
      );
    const auditScopes = stats.top_audit_scopes.map((s) => scopeRow(s.scope, s.audit));
    const agents = stats.agents.map((a) => {
      const points = series.get(a.agent_name) ?? [];
      return h(
        'tr',
        { 'data-agent': a.agent_name },
        h('th', { scope: 'row' }, a.agent_name),
        h('td', { class: 'num' }, formatCount(a.events)),
        h('td', { class: 'num' }, formatCount(a.denied)),
        h('td', { class: 'num' }, formatCount(a.audit)),
        h('td', { class: 'num' }, formatPercent(a.denied, a.events)),
        h(
          'td',
          {},
          points.length
            ? sparkline(
                points.map((p) => p.events),
                points.map((p) => p.denied),
                `${a.agent_name}: checks over the range, ${points.map((p) => p.events).join(', ')}`,
              )
            : '',
        ),
      );
    });
    replaceChildren(
      body,
      totals.events === 0 ? (setup ??= projectSetupSteps(project)) : null,
      kpis,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'chart-title' },
        h('h2', { id: 'chart-title' }, `Checks over time (per ${stats.bucket})`),
        h(
          'p',
          { class: 'legend' },
          h('span', { class: 'swatch allowed' }),
          'Allowed ',
          h('span', { class: 'swatch audit' }),
          'Audit ',
          h('span', { class: 'swatch denied' }),
          'Denied',
        ),
        chartBox,
      ),
      h(
        'div',
        { class: 'two-col' },
        h(
          'div',
          {},
          table('Denials by reason', ['Reason', 'Denied', 'Share'], reasons, 'No denials in this range.'),
          table('Top denied scopes', ['Scope', 'Denied'], deniedScopes, 'No denials in this range.'),
          auditScopes.length ? table('Top audited scopes', ['Scope', 'Audit'], auditScopes, '') : null,
        ),
        table(
          'Agents',
          ['Agent', 'Checks', 'Denied', 'Audit', 'Denial rate', 'Activity'],
          agents,
          'No agents in this range.',
        ),
      ),
    );
    drawChart(stats, chartBox);
  }

  /** Draws the chart at the width its box has in the page, so its text keeps its size. */
  function drawChart(stats: Stats, box: HTMLElement): void {
    let drawnWidth = 0;
    const draw = () => {
      const width = Math.round(box.clientWidth);
      if (width === drawnWidth) return;
      drawnWidth = width;
      const chart = timeSeriesChart(stats.buckets, stats.bucket, width > 0 ? width : undefined);
      replaceChildren(box, chart);
      fitAxisLabels(chart);
    };
    draw();
    resized?.disconnect();
    resized = new ResizeObserver(draw);
    resized.observe(box);
  }

  range.addEventListener('change', () => void load());
  replaceChildren(main, pageHeader('Analytics', field('Range', range)), body);
  void load();
  const timer = setInterval(() => void load(), 30_000);
  return () => {
    loads.cancel();
    clearInterval(timer);
    resized?.disconnect();
  };
};
