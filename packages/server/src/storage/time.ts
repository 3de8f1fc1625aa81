import { parseIsoTime } from '@agentsudo/core';
import type { Bucket } from './records';

/**
 * One hour in microseconds, the unit of stored times.
 *
 * @example
 * ```ts
 * Math.floor(ts / HOUR_US); // the hour an event falls in
 * ```
 */
export const HOUR_US = 3_600_000_000;

/**
 * A bucket's length in microseconds.
 *
 * @example
 * ```ts
 * bucketUs('minute'); // 60_000_000
 * ```
 */
export function bucketUs(bucket: Bucket): number {
  return bucket === 'minute' ? 60_000_000 : bucket === 'hour' ? HOUR_US : 24 * HOUR_US;
}

/**
 * Microseconds since the epoch of an ISO 8601 time, keeping digits past the millisecond
 * that `Date` drops (the Python SDK sends `2026-11-26T12:53:24.156322Z`).
 *
 * @example
 * ```ts
 * isoToMicros('2026-01-01T00:00:00.000123Z'); // 1767225600000123
 * ```
 */
export function isoToMicros(iso: string, normalizedIso = iso): number {
  const ms = parseIsoTime(normalizedIso, { dateOnly: true });
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const extra = Number((fraction.slice(3, 6) || '0').padEnd(3, '0'));
  return ms * 1000 + extra;
}

/**
 * ISO 8601 with microseconds when the time has any (else milliseconds, like `toISOString`).
 *
 * @example
 * ```ts
 * microsToIso(1767225600000123); // '2026-01-01T00:00:00.000123Z'
 * ```
 */
export function microsToIso(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const extra = us % 1000;
  return extra === 0 ? iso : `${iso.slice(0, -1)}${String(extra).padStart(3, '0')}Z`;
}
