import { toWire, type SudoEvent, type WireEvent } from '@agentsudo/core';
import type { RingQueue } from './ring-queue';
import type { Spool, SpoolWriteResult } from './spool';
import type { DropReason, StatsCounters } from './stats';
import { errorMessage } from './errors';
import { encodeLines, unserializableMessage } from './wire-json';

/**
 * Reports a drop: counts `count` events under `reason` and says `message` once per
 * `notice` (default: the reason), so one trouble is one stderr line however it shows.
 *
 * @example
 * ```ts
 * const report: DropReport = (reason, count, message) => counters.drop(reason, count);
 * ```
 */
export type DropReport = (reason: DropReason, count: number, message: string, notice?: string) => void;

/**
 * Everything that moves events from memory to the disk spool: a full queue swapped out
 * whole (spill), the batches still unsent at close, and what memory holds at
 * `process.exit()`. Writes run one at a time, in order; every event that cannot be written
 * is dropped and counted with its reason. With no spool (`spoolDir: false`) each write is a
 * counted drop.
 *
 * @example
 * ```ts
 * const writer = new SpoolWriter(spool, counters, report, () => pump.wake());
 * if (!writer.spill(fullQueue)) counters.drop('queue_full', 1);
 * await writer.write(items, Date.now(), 'shutdown');
 * ```
 */
export class SpoolWriter {
  /** Memory queues swapped out whole when full, waiting for their spool write. */
  private spilling: { events: RingQueue<SudoEvent>; takenAt: number }[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    readonly spool: Spool | undefined,
    private readonly counters: StatsCounters,
    private readonly report: DropReport,
    /** Called after a spill reached the disk (or was dropped): newer events may go now. */
    private readonly onSpilled: () => void,
  ) {}

  /** True while a spill is on its way to disk: anything newer must wait, for order. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Events in queues waiting for their spill write. */
  get spillingEvents(): number {
    let n = 0;
    for (const s of this.spilling) n += s.events.size;
    return n;
  }

  /**
   * Takes a full queue to the disk in the background (its serialization too runs after the
   * caller's call returns). False, taking nothing, when there is no spool or a spill is
   * already on its way: one chunk at a time keeps memory bounded when the disk is slow.
   */
  spill(events: RingQueue<SudoEvent>): boolean {
    if (this.spool === undefined || this.pending > 0) return false;
    const chunk = { events, takenAt: Date.now() };
    this.spilling.push(chunk);
    this.pending++;
    setImmediate(() => {
      const i = this.spilling.indexOf(chunk);
      if (i < 0) {
        // Taken meanwhile by close() or dropped (key rejected).
        this.pending--;
        return;
      }
      this.spilling.splice(i, 1);
      const items = serialize(events.take(events.size));
      void this.write(items, chunk.takenAt, 'queue_full').finally(() => {
        this.pending--;
        this.onSpilled();
      });
    });
    return true;
  }

  /**
   * Queues a write of `items` (after the ones before it); drops them with `reason` when
   * there is no spool. Never rejects.
   */
  write(items: readonly object[], takenAt: number, reason: DropReason): Promise<void> {
    const done = this.writes.then(async () => {
      const { text, count } = this.encode(items);
      if (count === 0) return;
      this.account(this.spool ? await this.spool.write(text, count, takenAt) : 'none', count, reason);
    });
    // Never rejects: a failed write is counted in account(), and callers may not await this.
    const settled = done.catch((err: unknown) =>
      this.report('spool_error', items.length, `spool write failed: ${errorMessage(err)}`),
    );
    this.writes = settled;
    return settled;
  }

  /** Writes every queue still waiting to spill (at close). */
  async writeSpilling(): Promise<void> {
    for (const s of this.spilling.splice(0)) {
      await this.write(serialize(s.events.take(s.events.size)), s.takenAt, 'shutdown');
    }
  }

  /** Drops every queue waiting to spill, counted under `reason` (the key was rejected). */
  dropSpilling(reason: DropReason): void {
    for (const s of this.spilling.splice(0)) this.counters.drop(reason, s.events.size);
  }

  /** Resolves once every write queued so far is done. */
  settled(): Promise<unknown> {
    return this.writes;
  }

  /**
   * `process.exit()` skips everything asynchronous: writes, synchronously, the batches
   * taken from memory (`taken`), then the queues waiting to spill, then the live queue.
   */
  writeSyncOnExit(taken: { items: object[]; takenAt: number }[], queue: RingQueue<SudoEvent>): void {
    const chunks = [...taken];
    for (const s of this.spilling.splice(0))
      chunks.push({ items: serialize(s.events.take(s.events.size)), takenAt: s.takenAt });
    if (queue.size) chunks.push({ items: serialize(queue.take(queue.size)), takenAt: Date.now() });
    for (const c of chunks) {
      const { text, count } = this.encode(c.items);
      if (count === 0) continue;
      this.account(this.spool ? this.spool.writeSync(text, count, c.takenAt) : 'none', count, 'shutdown');
    }
  }

  private encode(items: readonly object[]): ReturnType<typeof encodeLines> {
    const encoded = encodeLines(items);
    if (encoded.unserializable) {
      this.report('unserializable', encoded.unserializable, unserializableMessage(encoded.unserializable));
    }
    return encoded;
  }

  private account(result: SpoolWriteResult | 'none', count: number, reason: DropReason): void {
    const spool = this.spool;
    if (result === 'ok') this.counters.spooled += count;
    else if (result === 'none' || !spool) {
      this.report(reason, count, `${count} event(s) could not be delivered and no spoolDir is set`);
    } else if (result === 'full') {
      this.report('spool_full', count, `spool ${spool.dir} is full (maxSpoolBytes ${spool.maxBytes})`);
    } else if (result === 'refused') {
      // Said once, like the refusal found at start: the folder, what is wrong, the fix.
      const refusal = spool.refusal;
      this.report(
        'spool_error',
        count,
        refusal ? refusal.message.replace(/\.$/, '') : 'spool refused',
        'spool',
      );
    } else this.report('spool_error', count, `cannot write to spool ${spool.dir}`);
  }
}

/**
 * Events in their wire form, ready to encode.
 *
 * @example
 * ```ts
 * const items = serialize(queue.take(500));
 * ```
 */
export function serialize(events: SudoEvent[]): WireEvent[] {
  const items = new Array<WireEvent>(events.length);
  for (let i = 0; i < events.length; i++) items[i] = toWire(events[i]);
  return items;
}
