import { backoffDelay } from './backoff';
import type { EventSender, PreparedBody, SendOutcome } from './http-sender';
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
 * A batch that got this many 5xx answers, over at least `setAsideAfterMs`, is split; a lone
 * event is set aside (see {@link DeliveryHost.setAside}) so the events behind it can go.
 * Timeouts, dropped connections, 408, 429 and 503 with Retry-After never count: they say
 * nothing about the events (see {@link blamesEvents}).
 */
const SUSPECT_AFTER = 5;

/**
 * Whether a failed try may count against the events sent: a 5xx, except a 503 with
 * Retry-After, which is the server's back-pressure (the AgentSudo server refuses batches
 * that way while its database is behind). Counting those would split batches and set
 * events aside, and at last drop them, for the server being busy.
 */
function blamesEvents(outcome: Extract<SendOutcome, { kind: 'retry' }>): boolean {
  if (outcome.status === undefined || outcome.status < 500) return false;
  return !(outcome.status === 503 && outcome.retryAfterMs !== undefined);
}

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
  /**
   * Keeps one event the server keeps failing on (5xx) on disk, to be retried later, so the
   * events behind it can go; `since` is when it first failed. False when it cannot (no
   * spool, or the disk refused): then it stays in line and is retried like any other.
   */
  setAside(item: object, since: number): Promise<boolean>;
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
  /** When the server last accepted events (ms): proof that its writes work. */
  acceptedAt = 0;

  constructor(
    private readonly sender: EventSender,
    private readonly maxBackoffMs: number,
    private readonly host: DeliveryHost,
    /** How long a batch must have been failing (5xx) before it is split or set aside. */
    private readonly setAsideAfterMs: number,
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
   * Sends items until each is accepted, dropped for a reason, or set aside, so one bad event
   * never costs its batch nor blocks the events behind it:
   * - a 413 splits the items in two; a lone event is dropped (`too_large`);
   * - a 400 or 422 drops only the event it names, or, naming none, splits the items until
   *   the refused ones are alone (`rejected`);
   * - network errors, timeouts, 408, 429 and 5xx are retried with backoff, or after
   *   Retry-After; items that got {@link SUSPECT_AFTER} 5xx answers (not 503 with
   *   Retry-After) over at least `setAsideAfterMs` are split, and a lone event is set aside
   *   on disk (never dropped here: a server whose database is down fails every event alike).
   */
  async sendAll(prepared: Prepared, fromSpool: boolean): Promise<Settled> {
    const { body, items } = prepared;
    if (items.length === 0) return 'settled';
    let attempt = 0;
    let serverErrors = 0;
    let failingSince: number | undefined;
    for (;;) {
      const outcome = await this.sender.post(body);
      if (outcome.kind !== 'retry') return this.settle(outcome, items, fromSpool);
      this.host.counters.requests++;
      this.host.counters.lastError = outcome.reason;
      this.host.counters.retried += items.length;
      attempt++;
      failingSince ??= Date.now();
      if (blamesEvents(outcome)) serverErrors++;
      if (serverErrors >= SUSPECT_AFTER && Date.now() - failingSince >= this.setAsideAfterMs) {
        if (items.length > 1) return this.sendHalves(items, fromSpool);
        if (await this.host.setAside(items[0], failingSince)) return 'settled';
        serverErrors = 0; // no spool: it stays in line
      }
      await this.host.sleep(outcome.retryAfterMs ?? backoffDelay(attempt, this.maxBackoffMs));
      if (this.host.isStopping()) return 'stopped';
    }
  }

  /**
   * Posts items once, for an event set aside earlier: `settled` (accepted or dropped for a
   * reason the server gave), `server_error` (a 5xx again, not 503 with Retry-After), `failed`
   * (any other failure, which says nothing about the event) or `stopped`.
   */
  async tryOnce(prepared: Prepared): Promise<Settled | 'server_error' | 'failed'> {
    if (prepared.items.length === 0) return 'settled';
    const outcome = await this.sender.post(prepared.body);
    if (outcome.kind !== 'retry') return this.settle(outcome, prepared.items, true);
    this.host.counters.requests++;
    this.host.counters.lastError = outcome.reason;
    this.host.counters.retried += prepared.items.length;
    return blamesEvents(outcome) ? 'server_error' : 'failed';
  }

  /** Settles items on any answer but a retry: counted as sent, dropped with a reason, or split. */
  private async settle(
    outcome: Exclude<SendOutcome, { kind: 'retry' }>,
    items: object[],
    fromSpool: boolean,
  ): Promise<Settled> {
    if (outcome.kind !== 'aborted') this.host.counters.requests++;
    switch (outcome.kind) {
      case 'ok':
        this.acceptedAt = Date.now();
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
    }
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
