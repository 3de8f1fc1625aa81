import type { DenialReason } from '@agentsudo/core';
import { outcomeOf as outcomeOfAction, type Outcome } from '../src/outcome';
import type { ApiEvent } from './api';
import { timeZoneChoice } from './time-zone';

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

/**
 * Every denial reason and its words. Typed by core's `DenialReason`, so a reason added
 * there fails to compile here until it has a label (the page never bundles core itself).
 */
const REASON_LABELS: Record<DenialReason, string> = {
  scope: 'Missing scope',
  condition: 'Condition failed',
  rate_limit: 'Rate limit',
  budget: 'Budget used up',
  guardrail: 'Guardrail',
  approval: 'Approval refused',
};

/**
 * Every denial reason, in the server's order, as the Reason filter and Analytics list them.
 *
 * @example
 * ```ts
 * REASONS.includes('budget'); // true
 * ```
 */
export const REASONS = Object.keys(REASON_LABELS) as DenialReason[];

/**
 * The words for a denial reason; an unknown one (a newer server) is shown as sent.
 *
 * @example
 * ```ts
 * reasonLabel('rate_limit'); // 'Rate limit'
 * ```
 */
export function reasonLabel(reason: string): string {
  return (REASON_LABELS as Record<string, string>)[reason] ?? reason;
}

/**
 * Reason filter values for a `<select>`: any, then each reason.
 *
 * @example
 * ```ts
 * h('select', { name: 'reason' }, options(REASON_FILTERS, ''));
 * ```
 */
export const REASON_FILTERS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any reason'],
  ...REASONS.map((r) => [r, reasonLabel(r)] as const),
];

const formats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone and year display, made once: building them is the slow part. */
function timeFormat(utc: boolean, withYear: boolean): Intl.DateTimeFormat {
  const key = `${utc}/${withYear}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, {
      year: withYear ? 'numeric' : undefined,
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
      timeZone: utc ? 'UTC' : undefined,
    });
    formats.set(key, format);
  }
  return format;
}

/**
 * The fraction of a second an ISO 8601 time holds, without its trailing zeros: `'156322'`
 * for `…:24.156322Z`, `''` for `…:24Z` or `…:24.000Z`. Read from the text, because a
 * `Date` keeps milliseconds only and would lose or invent digits.
 *
 * @example
 * ```ts
 * secondsFraction('2026-11-26T12:53:24.156322Z'); // '156322'
 * ```
 */
export function secondsFraction(iso: string): string {
  const match = /:\d{2}\.(\d+)(?:Z|[+-]\d{2}:?\d{2})?$/i.exec(iso);
  return match ? match[1].replace(/0+$/, '') : '';
}

/**
 * A timestamp in the viewer's locale, in their zone or in UTC as they chose (see
 * {@link timeZoneChoice}), always naming the zone. With `fraction`, the seconds carry the
 * fraction the timestamp holds (`04.156322`), and nothing where it holds none.
 *
 * @example
 * ```ts
 * formatTime('2026-11-26T13:38:04.25Z', { fraction: true }); // 'Nov 26, 01:38:04.25 PM UTC' (UTC chosen, en-US)
 * ```
 */
export function formatTime(iso: string, options: { fraction?: boolean } = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const utc = timeZoneChoice() === 'utc';
  const now = new Date();
  const withYear = utc
    ? date.getUTCFullYear() !== now.getUTCFullYear()
    : date.getFullYear() !== now.getFullYear();
  const fraction = options.fraction ? secondsFraction(iso) : '';
  return timeFormat(utc, withYear)
    .formatToParts(date)
    .map((part) => (part.type === 'second' && fraction ? `${part.value}.${fraction}` : part.value))
    .join('');
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

/**
 * A span of time as a person reads a countdown: `45 s`, `4 min 05 s`, `2 h 10 min`,
 * `1 d 3 h`; `0 s` for anything not positive.
 *
 * @example
 * ```ts
 * formatDuration(125_000); // '2 min 05 s'
 * ```
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
