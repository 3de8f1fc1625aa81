import { backoffDelay } from './backoff';
import type { EventSender, PreparedBody } from './http-sender';
import type { DropReason, StatsCounters } from './stats';
import { encodeBatch, unserializableMessage } from './wire-json';

/**
 * A body ready to post and the events it holds (those that could be encoded).
 *
 * @example
 * ```ts
 * const prepared: Prepared = await delivery.prepare(items);
 * ```
 */
export interface Prepared {
  body: PreparedBody;
  items: object[];
}

/**
 * How sending some items ended: all settled (sent or dropped), or delivery must stop
 * (the transport is closing; what is unsettled goes to the spool).
 *
 * @example
 * ```ts
 * if ((await delivery.sendAll(prepared, false)) === 'stopped') return;
 * ```
 */
export type Settled = 'settled' | 'stopped';

/**
 * After this many failed tries of the same events (5xx, timeouts, dropped connections;
 * never 429, which asks for patience), the transport asks whether the server takes an
 * empty batch. If it does, these events are the trouble: a batch is split, a lone event
 * dropped (`server_error`), so one poison event cannot block everything behind it.
 */
const POISON_CHECK_AFTER = 5;

/**
 * What {@link Delivery} needs from the transport that owns it.
 *
 * @example
 * ```ts
 * const host: DeliveryHost = { counters, drop, rejectKey, sleep, isStopping: () => false };
 * ```
 */
export interface DeliveryHost {
  readonly counters: StatsCounters;
  /** Counts a drop and says so once per reason. */
  drop(reason: DropReason, count: number, message: string): void;
  /** The key was refused (401/403): stop for good; `count` events of this send are lost. */
  rejectKey(status: number, count: number): void;
  /** Waits before a retry; cut short when the transport closes. */
  sleep(ms: number): Promise<void>;
  isStopping(): boolean;
}

/**
 * The delivery rules for one batch: retries with backoff, splits, and drops of the events
 * the server will never take, each counted with its reason. The sender is given, so the
 * rules are the same over HTTP or any other channel.
 *
 * @example
 * ```ts
 * const delivery = new Delivery(new HttpSender(options), 30_000, host);
 * await delivery.sendAll(await delivery.prepare(items), false);
 * ```
 */
export class Delivery {
  constructor(
    private readonly sender: EventSender,
    private readonly maxBackoffMs: number,
    private readonly host: DeliveryHost,
  ) {}

  /**
   * Encodes items and makes the body ready; drops (and counts) events that cannot be encoded.
   */
  async prepare(items: object[]): Promise<Prepared> {
    const encoded = encodeBatch(items);
    if (encoded.unserializable) {
      this.host.drop('unserializable', encoded.unserializable, unserializableMessage(encoded.unserializable));
    }
    return { body: await this.sender.prepare(encoded.json), items: encoded.items };
  }

  /**
   * Sends items until each is accepted or dropped for a reason, so one bad event never
   * costs its batch nor blocks the events behind it:
   * - a 413 splits the items in two; a lone event is dropped (`too_large`);
   * - a 400 or 422 drops only the event it names, or, naming none, splits the items until
   *   the refused ones are alone (`rejected`);
   * - network errors, timeouts, 408, 429 and 5xx are retried with backoff; when the same
   *   items failed {@link POISON_CHECK_AFTER} times, the server answers an empty batch and
   *   the items fail once more right after, the items are split, a lone event dropped
   *   (`server_error`).
   */
  async sendAll(prepared: Prepared, fromSpool: boolean): Promise<Settled> {
    const { body, items } = prepared;
    if (items.length === 0) return 'settled';
    let attempt = 0;
    let failures = 0;
    for (;;) {
      const outcome = await this.sender.post(body);
      if (outcome.kind !== 'aborted') this.host.counters.requests++;
      switch (outcome.kind) {
        case 'ok':
          this.host.counters.sent += items.length;
          this.host.counters.duplicates += outcome.duplicates;
          if (fromSpool) this.host.counters.replayed += items.length;
          return 'settled';
        case 'aborted':
          return 'stopped';
        case 'unauthorized':
          this.host.rejectKey(outcome.status, fromSpool ? 0 : items.length);
          return 'settled';
        case 'rejected':
          this.host.counters.lastError = outcome.reason;
          this.host.drop('rejected', items.length, `${this.sender.url} refused a batch (${outcome.reason})`);
          return 'settled';
        case 'too_large':
          if (items.length === 1) {
            this.host.drop('too_large', 1, `${this.sender.url} answered 413 to a single event`);
            return 'settled';
          }
          return this.sendHalves(items, fromSpool);
        case 'invalid': {
          this.host.counters.lastError = outcome.reason;
          // A lone event is the refused one; otherwise the one the server named, if it did.
          const bad = items.length === 1 ? 0 : outcome.index;
          if (bad === undefined || bad >= items.length) return this.sendHalves(items, fromSpool);
          this.host.drop('rejected', 1, `${this.sender.url} refused an event (${outcome.reason})`);
          const rest = items.filter((_, i) => i !== bad);
          return rest.length ? this.sendAll(await this.prepare(rest), fromSpool) : 'settled';
        }
        case 'retry': {
          this.host.counters.lastError = outcome.reason;
          this.host.counters.retried += items.length;
          attempt++;
          // 429 asks for patience, not a verdict on the events.
          if (outcome.status !== 429 && ++failures % POISON_CHECK_AFTER === 0) {
            const verdict = await this.isPoison(body);
            if (verdict === 'stopped') return 'stopped';
            if (verdict === 'accepted') {
              this.host.counters.sent += items.length;
              if (fromSpool) this.host.counters.replayed += items.length;
              return 'settled';
            }
            if (verdict === 'poison') {
              if (items.length > 1) return this.sendHalves(items, fromSpool);
              this.host.drop(
                'server_error',
                1,
                `${this.sender.url} failed on one event ${failures + 1} times (${outcome.reason}) while it ` +
                  'accepted an empty batch; that event was dropped so the events behind it can go',
              );
              return 'settled';
            }
          }
          await this.host.sleep(outcome.retryAfterMs ?? backoffDelay(attempt, this.maxBackoffMs));
          if (this.host.isStopping()) return 'stopped';
        }
      }
    }
  }

  /**
   * Tells a server that is down from events it cannot take: posts an empty batch, and if
   * the server takes it, `body` once more at once. `poison` when the server answered the
   * empty batch but failed on `body` again; `accepted` when `body` went through this time;
   * `unknown` when the server seems down (keep retrying).
   */
  private async isPoison(body: PreparedBody): Promise<'poison' | 'accepted' | 'unknown' | 'stopped'> {
    const probe = await this.sender.post(await this.sender.prepare('[]'));
    if (probe.kind === 'aborted') return 'stopped';
    this.host.counters.requests++;
    if (probe.kind !== 'ok' && probe.kind !== 'invalid' && probe.kind !== 'too_large') return 'unknown';
    const again = await this.sender.post(body);
    if (again.kind === 'aborted') return 'stopped';
    this.host.counters.requests++;
    if (again.kind === 'ok') return 'accepted';
    return again.kind === 'retry' ? 'poison' : 'unknown';
  }

  /** Sends each half of `items` on its own, the first half first. */
  private async sendHalves(items: object[], fromSpool: boolean): Promise<Settled> {
    const half = Math.ceil(items.length / 2);
    if ((await this.sendAll(await this.prepare(items.slice(0, half)), fromSpool)) === 'stopped')
      return 'stopped';
    if (this.host.counters.authRejected) {
      if (!fromSpool) this.host.counters.drop('unauthorized', items.length - half);
      return 'settled';
    }
    return this.sendAll(await this.prepare(items.slice(half)), fromSpool);
  }
}
