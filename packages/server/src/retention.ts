import type { EventRetention } from './storage/event-retention';
import { HOUR_US } from './storage/time';

/**
 * Deletes events older than `days` (rounded down to the whole hour, so rollups and events
 * agree) now and then every `intervalMs`. Returns a stop function.
 *
 * @example
 * ```ts
 * const stop = startRetention(storage.retention, { days: 30, onError: (e) => log.error(e) });
 * ```
 */
export function startRetention(
  retention: Pick<EventRetention, 'deleteBefore'>,
  options: {
    days: number;
    intervalMs?: number;
    onDeleted?: (n: number) => void;
    onError?: (err: unknown) => void;
  },
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = () => {
    running = runRetention(retention, options.days)
      .then((n) => options.onDeleted?.(n))
      .catch((err) => options.onError?.(err));
  };
  sweep();
  const timer = setInterval(() => {
    if (!stopped) sweep();
  }, options.intervalMs ?? 3600_000);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/**
 * One retention sweep; resolves to the number of events deleted.
 *
 * @example
 * ```ts
 * await runRetention(storage.retention, 30);
 * ```
 */
export function runRetention(
  retention: Pick<EventRetention, 'deleteBefore'>,
  days: number,
  now = Date.now(),
): Promise<number> {
  const cutoffHour = Math.floor((now * 1000 - days * 24 * HOUR_US) / HOUR_US);
  return retention.deleteBefore(cutoffHour);
}
