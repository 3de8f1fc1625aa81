/** The first retry waits about this long; each further failure doubles it. */
const BASE_DELAY_MS = 250;

/**
 * A server may ask for a pause (Retry-After) of at most this long; longer asks are capped
 * so one bad header cannot silence delivery for a day.
 *
 * @example
 * ```ts
 * parseRetryAfter('86400') === MAX_RETRY_AFTER_MS; // true
 * ```
 */
export const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

/**
 * How long to wait before retry number `attempt` (1-based): exponential, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so many processes that failed
 * together do not retry together.
 *
 * @example
 * ```ts
 * backoffDelay(1, 30_000); // 125..250 ms
 * backoffDelay(10, 30_000); // 15..30 s
 * ```
 */
export function backoffDelay(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, BASE_DELAY_MS * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP date. Returns milliseconds
 * (capped at {@link MAX_RETRY_AFTER_MS}), or undefined when absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('2'); // 2000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT'); // ms until then, at least 0
 * ```
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}
