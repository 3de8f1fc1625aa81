import { join } from 'node:path';
import type { SudoEvent, Transport } from '@agentsudo/core';
import { Delivery, type Prepared, type Settled } from './delivery';
import { HttpSender, type EventSender } from './http-sender';
import { resolveCloudOptions, type CloudOptions, type ResolvedCloudOptions } from './options';
import { RingQueue } from './ring-queue';
import { Spool, SpoolMark, type SpoolFile } from './spool';
import { serialize, SpoolWriter } from './spool-writer';
import { encodeLines } from './wire-json';
import { errorMessage } from './errors';
import { StatsCounters, type CloudStats, type DropReason } from './stats';

/** A held event is dropped after this many 5xx answers, each while the server took other events. */
const HELD_TRIES = 5;

/** A batch taken from memory, in wire form, with the time it left the queue (its spool order). */
interface Batch {
  items: object[];
  takenAt: number;
  /** Its body, made ready while the batch before it is in flight. */
  prepared?: Promise<Prepared>;
}

/**
 * Makes the sender a transport posts through (Sentry's `makeRequest`): the HTTP one by
 * default; another can deliver through a different channel or in memory.
 *
 * @example
 * ```ts
 * const makeSender: MakeSender = (options) => new HttpSender(options);
 * ```
 */
export type MakeSender = (options: ResolvedCloudOptions) => EventSender;

/**
 * Delivers events to the AgentSudo dashboard. `log()` only appends to a bounded
 * in-memory queue; one background loop (the pump) sends batches through axios, retries
 * with backoff, honours `Retry-After`, and falls back to the disk spool. Nothing it does
 * can throw into, block or slow the decorated call.
 *
 * Order: spool files (oldest first), then memory. Events that leave memory for the disk
 * are always older than those still in memory, so delivery stays oldest first.
 *
 * The sender is given from outside (the HTTP one unless `makeSender` says otherwise), so
 * retries, splits and drops work the same whatever carries the bytes.
 *
 * @example
 * ```ts
 * const cloud = new CloudTransport({ apiKey: 'as_…' });
 * addTransport(cloud);
 * // …
 * await cloud.close(); // flushes, spools what the server did not take
 * ```
 */
export class CloudTransport implements Transport {
  readonly name = 'cloud';
  /** The resolved configuration (the API key included: do not log it). */
  readonly options: ResolvedCloudOptions;
  private readonly counters = new StatsCounters();
  private readonly sender: EventSender;
  private readonly delivery: Delivery;
  private readonly spool: Spool | undefined;
  private readonly writer: SpoolWriter;
  private queue: RingQueue<SudoEvent>;
  /**
   * Batches taken from the queue and not settled, oldest first: the one in flight (or
   * waiting to retry) and at most one more being prepared behind it.
   */
  private inflight: Batch[] = [];
  /** Size at which log() wakes the pump: a full batch, or every event when not async. */
  private readonly wakeAt: number;
  private timer: NodeJS.Timeout | undefined;
  private due = false;
  private waiter: (() => void) | undefined;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private flushWaiters: { resolve: (ok: boolean) => void; timer: NodeJS.Timeout }[] = [];
  private stopping = false;
  /** False until the spool folder was listed: a flush must also cover an earlier process's backlog. */
  private scanned = false;
  /** Set when another transport of this process may have spooled into our folder. */
  private rescan = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly pump: Promise<void>;
  private readonly notices = new Set<string>();
  private readonly onBeforeExit = () => this.drainBeforeExit();
  private readonly onExit = () => this.spoolOnExit();

  /**
   * @param makeSender makes what posts batches; default: HTTP to `{endpoint}/api/events`.
   * @throws CloudConfigError naming the first bad option.
   */
  constructor(options: CloudOptions = {}, makeSender: MakeSender = (o) => new HttpSender(o)) {
    this.options = resolveCloudOptions(options);
    const o = this.options;
    this.queue = new RingQueue(o.maxQueue);
    this.wakeAt = o.asyncSend ? o.batchSize : 1;
    this.sender = makeSender(o);
    // The default folder is private from the per-user folder AgentSudo made.
    this.spool =
      o.spoolDir === false
        ? undefined
        : new Spool(
            o.spoolDir,
            o.maxSpoolBytes,
            new SpoolMark(o.endpoint, o.apiKey),
            o.spoolRoot ?? o.spoolDir,
          );
    this.delivery = new Delivery(
      this.sender,
      o.maxBackoffMs,
      {
        counters: this.counters,
        drop: (reason, count, message) => this.drop(reason, count, message),
        rejectKey: (status, count) => this.rejectKey(status, count),
        setAside: (item, since) => this.setAside(item, since),
        sleep: (ms) => this.sleep(ms),
        isStopping: () => this.stopping,
      },
      o.setAsideAfterMs,
    );
    this.writer = new SpoolWriter(
      this.spool,
      this.counters,
      (reason, count, message, notice) => this.drop(reason, count, message, notice),
      () => this.wake(),
    );
    process.on('beforeExit', this.onBeforeExit);
    process.on('exit', this.onExit);
    this.pump = this.run().catch((err) => this.notice('pump', `cloud delivery stopped: ${String(err)}`));
  }

  /** True once closed (by close(), core's shutdown() or the exit hook); later events are dropped. */
  get isClosed(): boolean {
    return this.closed || this.closing !== undefined;
  }

  /**
   * Looks in the spool folder again: another transport of this process (one replaced by
   * `configureCloud`) may have spooled there since this one started. Found files are sent
   * before newer events, oldest first.
   */
  rescanSpool(): void {
    if (!this.spool || this.closed) return;
    this.rescan = true;
    this.wake();
  }

  /** Cloud mode wants every event. */
  wants(): boolean {
    return true;
  }

  /** Appends the event to the queue: constant time, no I/O, never throws. */
  log(event: SudoEvent): void {
    this.counters.logged++;
    if (this.closed || this.counters.authRejected) {
      this.counters.drop(this.closed ? 'closed' : 'unauthorized', 1);
      return;
    }
    if (!this.queue.push(event)) {
      // Full: the whole queue goes to the spool (O(1)) and a fresh one takes the event.
      if (!this.writer.spill(this.queue)) {
        this.counters.drop('queue_full', 1);
        return;
      }
      this.queue = new RingQueue(this.options.maxQueue);
      this.queue.push(event);
      this.armTimer();
      return;
    }
    const n = this.queue.size;
    if (n === 1 && this.timer === undefined) this.armTimer();
    if (n === this.wakeAt) this.wake();
  }

  /**
   * Resolves true once everything logged so far (and any spool backlog) is delivered,
   * false if that takes longer than `timeoutMs` or the API key was rejected. Events the
   * server refused as invalid count as settled (see `dropped`). Partial batches go at once.
   */
  flush(timeoutMs = 5000): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(!this.counters.authRejected);
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // Ref'd on purpose: whoever awaits a flush wants the process to wait for it.
      const timer = setTimeout(() => {
        this.flushWaiters = this.flushWaiters.filter((w) => w.timer !== timer);
        resolve(false);
      }, timeoutMs);
      this.flushWaiters.push({ resolve, timer });
      this.wake();
    });
  }

  /**
   * Tries to deliver for up to `timeoutMs` (default `exitTimeoutMs`), then stops: the
   * batch in flight and the queue go to the spool (or are dropped and counted without
   * one). Later `log()` calls are dropped as `closed`.
   */
  close(timeoutMs: number = this.options.exitTimeoutMs): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs).catch((err) =>
      this.notice('close', `closing cloud delivery failed: ${String(err)}`),
    );
    return this.closing;
  }

  /** A snapshot of the counters. */
  stats(): CloudStats {
    let queued = this.queue.size + this.writer.spillingEvents;
    for (const b of this.inflight) queued += b.items.length;
    return this.counters.snapshot(queued, this.spool?.pendingEvents ?? 0);
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    if (timeoutMs > 0) await this.flush(timeoutMs);
    this.closed = true;
    this.stopping = true;
    this.sender.abort();
    this.wake();
    this.sleeper?.resolve();
    await this.pump;
    for (const b of this.inflight.splice(0)) await this.writer.write(b.items, b.takenAt, 'shutdown');
    await this.writer.writeSpilling();
    const queue = this.queue;
    this.queue = new RingQueue(1);
    if (queue.size) await this.writer.write(serialize(queue.take(queue.size)), Date.now(), 'shutdown');
    await this.writer.settled();
    clearTimeout(this.timer);
    process.removeListener('beforeExit', this.onBeforeExit);
    process.removeListener('exit', this.onExit);
    for (const w of this.flushWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
  }

  // ---- the pump -------------------------------------------------------------------

  private async run(): Promise<void> {
    if (this.spool) {
      await this.spool.scan().catch((err: unknown) => {
        // A refused folder says what is wrong and how to fix it; delivery goes on without it.
        // A refusal shares its notice with the refusals found at write time; any other
        // failure (the folder vanished mid-scan) has its own, so it never hides a refusal.
        const refusal = this.spool!.refusal;
        this.notice(
          refusal ? 'spool' : 'spool_scan',
          refusal
            ? refusal.message.replace(/\.$/, '')
            : `cannot use spool folder ${this.spool!.dir}: ${errorMessage(err)}`,
        );
      });
    }
    this.scanned = true;
    this.noticeUntrusted();
    while (!this.stopping) {
      if (this.rescan && this.inflight.length === 0) {
        this.rescan = false;
        await this.spool!.scan().catch(() => undefined);
        this.noticeUntrusted();
      }
      const held = this.inflight[0];
      const file = held || this.counters.authRejected ? undefined : this.spool?.head();
      const due =
        held || this.counters.authRejected
          ? undefined
          : this.spool?.dueHeld(Date.now(), this.options.setAsideAfterMs);
      if (due) {
        await this.retryHeld(due);
      } else if (held) {
        const sending = this.sendBatch(held);
        this.lookAhead();
        if ((await sending) === 'settled') this.inflight.shift();
      } else if (file) {
        await this.replay(file);
      } else if (this.queueReady()) {
        this.due = false;
        this.inflight.push(this.takeBatch());
      } else {
        this.settleFlushes();
        // An event set aside is retried in time even when nothing else happens.
        const retryTimer = this.spool?.holding
          ? setTimeout(() => this.wake(), this.options.setAsideAfterMs).unref()
          : undefined;
        await new Promise<void>((resolve) => (this.waiter = resolve));
        clearTimeout(retryTimer);
      }
    }
  }

  private takeBatch(): Batch {
    const batch = { items: serialize(this.queue.take(this.wakeAt)), takenAt: Date.now() };
    if (this.queue.size) this.armTimer();
    return batch;
  }

  /**
   * With another full batch queued, takes it now and serializes it once the current
   * request is on the wire, so the two overlap. Still one request at a time: order holds.
   */
  private lookAhead(): void {
    if (this.inflight.length !== 1 || !this.options.asyncSend || this.queue.size < this.wakeAt) return;
    // Anything on disk is older than the queue and must go first.
    if (this.writer.busy || this.counters.authRejected || this.spool?.head()) return;
    const next = this.takeBatch();
    this.inflight.push(next);
    setImmediate(() => {
      if (!this.stopping) next.prepared ??= this.delivery.prepare(next.items);
    });
  }

  private queueReady(): boolean {
    const n = this.queue.size;
    // An older chunk is on its way to the spool: it must be sent before anything newer.
    if (n === 0 || this.counters.authRejected || this.writer.busy) return false;
    return n >= this.wakeAt || this.due || this.flushWaiters.length > 0;
  }

  /** Sends a spool file in batches; deletes it once every event is settled. */
  private async replay(file: SpoolFile): Promise<void> {
    const { items, corrupt, untrusted } = await this.spool!.read(file);
    if (untrusted) {
      this.spool!.forget(file);
      this.noticeUntrusted();
      return;
    }
    if (corrupt) {
      this.counters.drop('spool_corrupt', corrupt);
      this.notice('corrupt', `skipped ${corrupt} damaged line(s) in spool file ${file.name}`);
    }
    for (let at = 0; at < items.length; at += this.options.batchSize) {
      const result = await this.delivery.sendAll(
        await this.delivery.prepare(items.slice(at, at + this.options.batchSize)),
        true,
      );
      // Stopped or the key was rejected: the file stays for a later process.
      if (result === 'stopped' || this.counters.authRejected) return;
    }
    await this.spool!.remove(file);
  }

  /** Says once that some spool file is not trusted: never sent with this key, left for a person to see. */
  private noticeUntrusted(): void {
    const name = this.spool?.untrustedFiles[0];
    if (name === undefined) return;
    this.notice(
      'untrusted',
      `not replaying spool file ${join(this.spool!.dir, name)}: it is not a private file of this user ` +
        'sealed with this API key (another account or program wrote or changed it); it was left in place',
    );
  }

  /** Keeps one event the server keeps failing on in a held spool file (see Delivery.sendAll). */
  private async setAside(item: object, since: number): Promise<boolean> {
    if (!this.spool) return false;
    const { text, count } = encodeLines([item]);
    if (count === 0 || (await this.spool.hold(text, since, 0, Date.now())) !== 'ok') return false;
    this.counters.setAside++;
    this.notice(
      'set_aside',
      `${this.sender.url} kept failing on one event (${this.counters.lastError ?? 'server error'}) while other ` +
        `events may go; it was set aside in the spool and is retried every ${this.options.setAsideAfterMs} ms`,
    );
    return true;
  }

  /**
   * Tries a held event once. A 5xx counts against it only when the server accepted other
   * events since its previous try (so an outage, where everything fails, never does); at
   * {@link HELD_TRIES} such tries it is dropped (`server_error`).
   */
  private async retryHeld(file: SpoolFile): Promise<void> {
    const spool = this.spool!;
    const { items, untrusted } = await spool.read(file);
    if (untrusted) {
      spool.forget(file);
      this.noticeUntrusted();
      return;
    }
    const prepared = await this.delivery.prepare(items);
    const previousTry = file.lastTry;
    const result = await this.delivery.tryOnce(prepared);
    if (result === 'stopped') return;
    if (result === 'settled') return spool.remove(file);
    const counts = result === 'server_error' && this.delivery.acceptedAt > previousTry;
    const tries = file.tries + (counts ? 1 : 0);
    if (tries >= HELD_TRIES) {
      this.drop(
        'server_error',
        items.length,
        `${this.sender.url} failed on one event ${tries} times (${this.counters.lastError}) while it accepted ` +
          `other events between those tries; that event was dropped`,
      );
      return spool.remove(file);
    }
    const { text } = encodeLines(prepared.items);
    if (!(await spool.retried(file, text, tries, Date.now()))) file.lastTry = Date.now();
  }

  /** Sends a batch taken from memory; its events that cannot be encoded are gone for good. */
  private async sendBatch(batch: Batch): Promise<Settled> {
    batch.prepared ??= this.delivery.prepare(batch.items);
    const prepared = await batch.prepared;
    batch.items = prepared.items;
    return this.delivery.sendAll(prepared, false);
  }

  /** Stops delivery for good: drops (and counts) `count` events of the current send and all memory holds. */
  private rejectKey(status: number, count: number): void {
    this.counters.authRejected = true;
    this.counters.lastError = `HTTP ${status}`;
    // inflight[0] is the batch being sent (counted in `count`); the look-ahead goes too.
    for (const b of this.inflight.splice(1)) count += b.items.length;
    this.drop(
      'unauthorized',
      count + this.queue.size,
      `API key rejected by ${this.options.endpoint} (HTTP ${status}). Cloud delivery stopped; events are ` +
        'counted in getCloudStats() but not sent. Check configureCloud({ apiKey }) or AGENTSUDO_API_KEY',
    );
    this.queue.take(this.queue.size);
    this.writer.dropSpilling('unauthorized');
    this.settleFlushes();
  }

  // ---- process exit ---------------------------------------------------------------

  /** The event loop is empty with events still in memory: deliver them, or spool them. */
  private drainBeforeExit(): void {
    if (this.closed || this.closing || this.memoryEmpty()) return;
    // close() keeps the loop alive with its own I/O and timers until it is done.
    const hold = setTimeout(() => undefined, this.options.exitTimeoutMs + 5000);
    void this.close(this.options.exitTimeoutMs).finally(() => clearTimeout(hold));
  }

  /** `process.exit()` skips beforeExit: write what memory holds, synchronously. */
  private spoolOnExit(): void {
    if (this.memoryEmpty()) return;
    this.writer.writeSyncOnExit(this.inflight.splice(0), this.queue);
  }

  // ---- timers and wake-ups --------------------------------------------------------

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.wake();
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  private wake(): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w();
    }
  }

  /** Waits `ms`; cut short by close(). Unref'd: a backoff never keeps the process alive. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.sleeper = { timer, resolve: done };
    });
  }

  private memoryEmpty(): boolean {
    return this.queue.size === 0 && this.inflight.length === 0 && this.writer.spillingEvents === 0;
  }

  private isIdle(): boolean {
    if (!this.scanned || !this.memoryEmpty() || this.writer.busy) return false;
    return this.counters.authRejected || (this.spool?.head() === undefined && !this.spool?.holding);
  }

  private settleFlushes(): void {
    if (this.flushWaiters.length === 0 || !this.isIdle()) return;
    for (const w of this.flushWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(!this.counters.authRejected);
    }
  }

  private drop(reason: DropReason, count: number, message: string, notice: string = reason): void {
    this.counters.drop(reason, count);
    this.notice(notice, message);
  }

  /** One stderr line per kind of trouble, so a dead dashboard cannot flood the logs. */
  private notice(kind: string, message: string): void {
    if (this.notices.has(kind)) return;
    this.notices.add(kind);
    try {
      process.stderr.write(`agentsudo: ${message}.\n`);
    } catch {
      // stderr is gone; the counters still tell.
    }
  }
}
