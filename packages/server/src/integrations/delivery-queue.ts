import { messageOf } from '../errors';

/**
 * How notifications to Slack and webhooks are retried: `attempts` tries in all, the first
 * retry after about `initialDelayMs`, each next one after twice as long, at most `maxDelayMs`.
 *
 * @example
 * ```ts
 * const retry: NotifyRetry = { attempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000 };
 * ```
 */
export interface NotifyRetry {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The retry of notifications by default: 5 tries over about 15 s.
 *
 * @example
 * ```ts
 * createServer({ notifyRetry: { ...DEFAULT_NOTIFY_RETRY, attempts: 8 } });
 * ```
 */
export const DEFAULT_NOTIFY_RETRY: NotifyRetry = { attempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * The most notifications waiting or in flight by default; more are dropped (and logged), so
 * a dead endpoint cannot grow the server's memory.
 *
 * @example
 * ```ts
 * createServer({ maxQueuedNotifications: DEFAULT_MAX_QUEUED_NOTIFICATIONS * 2 });
 * ```
 */
export const DEFAULT_MAX_QUEUED_NOTIFICATIONS = 1000;

/**
 * A failure that another try cannot fix (Slack answered `channel_not_found`, a webhook
 * answered 404): the job stops at once.
 *
 * @example
 * ```ts
 * if (res.status === 404) throw new PermanentFailure(`the webhook answered 404`);
 * ```
 */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

/**
 * What the queue reports: a job that gave up, a job dropped because the queue was full.
 *
 * @example
 * ```ts
 * const log: DeliveryLog = (msg, fields) => app.log.warn(fields, msg);
 * ```
 */
export type DeliveryLog = (message: string, fields: Record<string, unknown>) => void;

/**
 * Notification jobs with bounded retries and a bounded backlog. Jobs with the same key run
 * in order (an approval's Slack post before its update); jobs of different keys run
 * concurrently. A job never throws into the caller: its last failure is logged.
 *
 * @example
 * ```ts
 * const queue = new DeliveryQueue({ retry: DEFAULT_NOTIFY_RETRY, maxQueued: 1000, log });
 * queue.push('slack post', approval.id, () => client.chat.postMessage(message));
 * await queue.drain(5000);
 * ```
 */
export class DeliveryQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private size = 0;
  private closed = false;
  /** Jobs dropped because the queue was full, since the start. */
  dropped = 0;

  constructor(private readonly options: { retry: NotifyRetry; maxQueued: number; log: DeliveryLog }) {}

  /** Queues a job; false (and a log line) when the queue is full or closed. */
  push(what: string, key: string, job: (attempt: number) => Promise<unknown>): boolean {
    if (this.closed || this.size >= this.options.maxQueued) {
      this.dropped += 1;
      this.options.log(`${what}: dropped, ${this.size} notifications are already queued`, {
        key,
        queued: this.size,
        dropped: this.dropped,
      });
      return false;
    }
    this.size += 1;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const tail = previous
      .then(() => this.run(what, key, job))
      .finally(() => {
        this.size -= 1;
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    this.tails.set(key, tail);
    return true;
  }

  /** Resolves true once every queued job ended, false if `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.tails.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.tails.values()]),
        new Promise((r) => (timer = setTimeout(r, left))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  /** Refuses new jobs and ends the waits between retries (their jobs give up). */
  close(): void {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.wake();
    }
    this.timers.clear();
  }

  private async run(what: string, key: string, job: (attempt: number) => Promise<unknown>): Promise<void> {
    const { attempts } = this.options.retry;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await job(attempt);
        return;
      } catch (err) {
        const last = attempt >= attempts || err instanceof PermanentFailure || this.closed;
        if (last) {
          this.options.log(
            `${what}: gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${messageOf(err)}`,
            {
              key,
              attempts: attempt,
            },
          );
          return;
        }
        await this.sleep(this.delay(attempt));
      }
    }
  }

  /** Exponential, capped, with half of it random so failures together do not retry together. */
  private delay(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.options.retry;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(ceiling / 2 + (ceiling / 2) * Math.random());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      entry.timer.unref();
      this.timers.add(entry);
    });
  }
}
