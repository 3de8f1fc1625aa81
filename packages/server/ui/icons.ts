import { svg } from './dom';
import type { Outcome } from './format';

/**
 * Outcome icons drawn as SVG: ✅ (a white check on a green square), ❌ (a red cross), ⚠ and
 * ℹ. Emoji would depend on an emoji font being installed, which servers and minimal
 * desktops often lack; these render the same everywhere and take the outcome's colour.
 */
const SHAPES: Record<Outcome, () => SVGElement[]> = {
  allowed: () => [
    svg('rect', { x: 1, y: 1, width: 14, height: 14, rx: 3, fill: 'currentColor' }),
    svg('path', { d: 'M4.5 8.3l2.3 2.3 4.7-5', fill: 'none', stroke: 'var(--surface)', 'stroke-width': 2 }),
  ],
  denied: () => [
    svg('path', {
      d: 'M3.5 3.5l9 9M12.5 3.5l-9 9',
      fill: 'none',
      stroke: 'currentColor',
      'stroke-width': 2.6,
      'stroke-linecap': 'round',
    }),
  ],
  audit: () => [
    svg('path', { d: 'M8 1.5l7 12.5H1z', fill: 'currentColor' }),
    svg('path', {
      d: 'M8 6v4M8 11.6v.4',
      stroke: 'var(--surface)',
      'stroke-width': 1.8,
      'stroke-linecap': 'round',
    }),
  ],
  info: () => [
    svg('circle', { cx: 8, cy: 8, r: 7, fill: 'currentColor' }),
    svg('path', {
      d: 'M8 7v4.5M8 4.4v.2',
      stroke: 'var(--surface)',
      'stroke-width': 1.8,
      'stroke-linecap': 'round',
    }),
  ],
};

/**
 * The icon of an outcome, hidden from screen readers (the word next to it says it).
 *
 * @example
 * ```ts
 * badge.prepend(outcomeIcon('allowed'));
 * ```
 */
export function outcomeIcon(outcome: Outcome): SVGElement {
  return svg(
    'svg',
    {
      class: 'icon',
      viewBox: '0 0 16 16',
      width: 16,
      height: 16,
      'aria-hidden': 'true',
      'data-icon': outcome,
    },
    SHAPES[outcome](),
  );
}
