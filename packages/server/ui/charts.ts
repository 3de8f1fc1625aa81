import type { Bucket, Counts } from './api';
import { svg } from './dom';

const LABEL_FORMATS: Record<Bucket, Intl.DateTimeFormatOptions> = {
  minute: { hour: '2-digit', minute: '2-digit' },
  hour: { month: 'short', day: 'numeric', hour: '2-digit' },
  day: { month: 'short', day: 'numeric' },
};

/** A round axis maximum at or above `max` (2, 4, 6, 8, 10 × 10ⁿ), so tick labels read well. */
function niceMax(max: number): number {
  // Even steps only, so the middle grid line is a whole number too.
  if (max <= 2) return 2;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 4, 6, 8, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** Room one x-axis label needs, in pixels: about a dozen characters of the 12px axis font. */
const LABEL_SLOT_PX = 84;

/**
 * Checks over time as stacked bars (allowed below, audit above it, denied on top), drawn as
 * SVG so it needs no chart library. Pass the pixel width it will be shown at: the chart is
 * drawn at that size (not scaled down from a wide drawing, which shrinks its text), with as
 * many time labels as fit. Each bar has a tooltip with its counts. Once the chart is in the
 * page, {@link fitAxisLabels} keeps its labels apart and inside it.
 *
 * @example
 * ```ts
 * box.append(timeSeriesChart(stats.buckets, stats.bucket, box.clientWidth));
 * ```
 */
export function timeSeriesChart(
  buckets: Array<Counts & { start: string }>,
  bucket: Bucket,
  width = 800,
): SVGElement {
  const height = 240;
  const pad = { top: 12, right: 12, bottom: 28, left: 44 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.events)));
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, slot * 0.8);
  const y = (n: number) => pad.top + plotH - (n / max) * plotH;
  const fmt = new Intl.DateTimeFormat(undefined, LABEL_FORMATS[bucket]);
  const sum = (key: keyof Counts) => buckets.reduce((n, b) => n + b[key], 0);

  const grid = [0, 0.5, 1].map((f) =>
    svg(
      'g',
      { class: 'tick' },
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(max * f), y2: y(max * f) }),
      svg('text', { x: pad.left - 6, y: y(max * f) + 4, 'text-anchor': 'end' }, String(Math.round(max * f))),
    ),
  );
  const labels = Math.max(2, Math.floor(plotW / LABEL_SLOT_PX));
  const labelEvery = Math.max(1, Math.ceil(buckets.length / labels));
  const bars = buckets.map((b, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    const when = fmt.format(new Date(b.start));
    // Stacked from the axis up: allowed, then audit, then denied.
    const audited = b.allowed + b.audit;
    return svg(
      'g',
      { class: 'bar' },
      svg('title', {}, `${when}: ${b.allowed} allowed, ${b.denied} denied, ${b.audit} audit`),
      svg('rect', { class: 'allowed', x, width: barW, y: y(b.allowed), height: y(0) - y(b.allowed) }),
      svg('rect', { class: 'audit', x, width: barW, y: y(audited), height: y(b.allowed) - y(audited) }),
      svg('rect', { class: 'denied', x, width: barW, y: y(b.events), height: y(audited) - y(b.events) }),
      i % labelEvery === 0
        ? svg('text', { class: 'x-label', x: x + barW / 2, y: height - 8, 'text-anchor': 'middle' }, when)
        : null,
    );
  });
  return svg(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Checks over time: ${sum('events')} checks, ${sum('denied')} denied, ${sum('audit')} audit, in ${buckets.length} ${bucket} buckets`,
    },
    grid,
    bars,
  );
}

/**
 * Keeps a chart's time labels readable once it is in the page, where text can be measured:
 * a label that would stick out at either end is anchored to that end instead, and one that
 * would touch the label before it is removed.
 *
 * @example
 * ```ts
 * box.append(chart);
 * fitAxisLabels(chart);
 * ```
 */
export function fitAxisLabels(chart: SVGElement): void {
  const width = (chart as SVGSVGElement).viewBox.baseVal.width;
  const gap = 6;
  let lastRight = -Infinity;
  for (const label of chart.querySelectorAll<SVGTextElement>('text.x-label')) {
    let box = label.getBBox();
    if (box.x < 0 || box.x + box.width > width) {
      const atStart = box.x < 0;
      label.setAttribute('text-anchor', atStart ? 'start' : 'end');
      label.setAttribute('x', String(atStart ? 0 : width));
      box = label.getBBox();
    }
    if (box.x < lastRight + gap) label.remove();
    else lastRight = box.x + box.width;
  }
}

/**
 * A small line of activity per bucket, with denials marked, for tables.
 *
 * @example
 * ```ts
 * cell.append(sparkline([3, 5, 2], [0, 1, 0], 'SupportBot: 10 events'));
 * ```
 */
export function sparkline(values: number[], denied: number[], label: string): SVGElement {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const point = (v: number, i: number) =>
    `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`;
  return svg(
    'svg',
    {
      class: 'sparkline',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': label,
    },
    svg('polyline', { class: 'all', points: values.map(point).join(' ') }),
    svg('polyline', { class: 'denied', points: denied.map(point).join(' ') }),
  );
}
