import { outcomeOf as outcomeOfAction, type Outcome } from '../src/outcome';
import type { ApiEvent } from './api';

export type { Outcome } from '../src/outcome';

const OUTCOME_LABELS: Record<Outcome, string> = {
  allowed: 'Allowed',
  denied: 'Denied',
  audit: 'Audit',
  info: 'Info',
};

/**
 * The outcome of one event (allowed, denied, audit or info), as the server's `?outcome=`
 * filter classifies it.
 *
 * @example
 * ```ts
 * outcomeOf({ action: 'audit_violation', allowed: true }); // 'audit'
 * ```
 */
export function outcomeOf(event: Pick<ApiEvent, 'action' | 'allowed'>): Outcome {
  return outcomeOfAction(event.action, event.allowed);
}

/**
 * The word for an outcome, shown next to its icon.
 *
 * @example
 * ```ts
 * outcomeLabel('denied'); // 'Denied'
 * ```
 */
export function outcomeLabel(outcome: Outcome): string {
  return OUTCOME_LABELS[outcome];
}

/**
 * Outcome filter values and the event query each stands for.
 *
 * @example
 * ```ts
 * h('select', { name: 'outcome' }, options(OUTCOME_FILTERS, ''));
 * ```
 */
export const OUTCOME_FILTERS: ReadonlyArray<readonly [string, string]> = [
  ['', 'All outcomes'],
  ['allowed', 'Allowed'],
  ['denied', 'Denied'],
  ['audit', 'Audit'],
];

/**
 * Whether an event passes an outcome filter ('' passes everything).
 *
 * @example
 * ```ts
 * events.filter((e) => matchesOutcome(e, 'denied'));
 * ```
 */
export function matchesOutcome(event: ApiEvent, outcome: string): boolean {
  return outcome === '' || outcomeOf(event) === outcome;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const yearFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/**
 * A timestamp in the viewer's locale and time zone.
 *
 * @example
 * ```ts
 * formatTime('2026-11-26T13:38:04Z'); // 'Nov 26, 01:38:04 PM' (in the viewer's locale and zone)
 * ```
 */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.getFullYear() === new Date().getFullYear() ? timeFormat.format(date) : yearFormat.format(date);
}

/**
 * `12.5%`, or `—` when there is nothing to divide.
 *
 * @example
 * ```ts
 * formatPercent(1, 4); // '25%'
 * ```
 */
export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '—';
  const pct = (part / whole) * 100;
  return `${pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * A count with the viewer's digit grouping.
 *
 * @example
 * ```ts
 * formatCount(12500); // '12,500'
 * ```
 */
export function formatCount(n: number): string {
  return n.toLocaleString();
}

/**
 * `datetime-local` input values are local time without a zone; the API wants ISO 8601.
 *
 * @example
 * ```ts
 * localInputToIso('2026-01-01T09:00'); // '2026-01-01T08:00:00.000Z' in UTC+1
 * ```
 */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
