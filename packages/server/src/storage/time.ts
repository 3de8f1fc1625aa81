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
 * that `Date` drops (the Python SDK sends `2026-11-26T12:53:24.156322Z`); a date alone is
 * its midnight UTC. NaN for anything `parseIsoTime` refuses (also times past 9999).
 *
 * @example
 * ```ts
 * isoToMicros('2026-01-01T00:00:00.000123Z'); // 1767225600000123
 * ```
 */
export function isoToMicros(iso: string): number {
  // Straight from the milliseconds: a round trip through toISOString would write a
  // six-digit year for some valid texts, which reads back as NaN.
  const ms = parseIsoTime(iso, { dateOnly: true });
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const extra = Number((fraction.slice(3, 6) || '0').padEnd(3, '0'));
  return ms * 1000 + extra;
}

/**
 * Whether a time in microseconds is one the server stores and queries: from 1970 (the
 * rollups' integer hour arithmetic assumes it) to the end of 9999. Past about 2255 a
 * microsecond count is wider than a double's 53 bits, so the end is checked after the
 * rounding: a time that rounds up into 10000 would be written back as `+010000-…`.
 *
 * @example
 * ```ts
 * isStoredTime(isoToMicros('9999-12-31T23:59:59.999Z')); // true
 * isStoredTime(isoToMicros('1969-12-31T23:59:59Z')); // false
 * ```
 */
export function isStoredTime(us: number): boolean {
  return us >= 0 && us < END_US;
}

/** 10000-01-01T00:00:00Z in microseconds (a multiple of 256, so exact in a double). */
const END_US = Date.UTC(10000, 0, 1) * 1000;

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
