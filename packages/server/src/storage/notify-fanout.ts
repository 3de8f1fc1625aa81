import { DeliveredSeqs } from './delivered-seqs';
import type { NotificationChannel, SqlDriver, SqlExecutor } from './driver';
import { toRecord, type EventRow } from './event-rows';
import type { LiveFanOut } from './live-fanout';
import { Subscribers } from './live-fanout';
import { seqPayloads, type SeqRun } from './notifications';
import type { EventRecord } from './records';

/*
 * Hand-written SQL: reads of events by seq, and NOTIFY through the driver's channel.
 */

/** Rows per read when replaying what live feeds missed while LISTEN was down. */
const REPLAY_PAGE = 1000;

/**
 * Fan-out across instances sharing PostgreSQL: the writer NOTIFYs the seqs it stored, and
 * every instance (this one too) reads those events and passes them to its listeners. After
 * LISTEN comes back from a loss, what was stored meanwhile is replayed; each event reaches
 * a feed once either way ({@link DeliveredSeqs}).
 *
 * @example
 * ```ts
 * const fanOut = new NotifyFanOut(driver, driver.notifications);
 * await routeNotifications(driver.notifications, { keys: accounts, events: fanOut }, MAX_GROUP_EVENTS);
 * await fanOut.listening();
 * ```
 */
export class NotifyFanOut implements LiveFanOut {
  private readonly subscribers = new Subscribers();
  /** Stored events heard about through notifications or replays. */
  private readonly delivered = new DeliveredSeqs();
  /** The replay after a LISTEN reconnection, while it runs: notified events wait for it. */
  private replaying?: Promise<void>;
  /** The last notified batch on its way to listeners; the next waits for it. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: SqlDriver,
    private readonly channel: NotificationChannel,
  ) {}

  /** Call once LISTEN is up: anything stored later is announced, anything before is history. */
  async listening(): Promise<void> {
    this.delivered.raise(await this.maxSeq());
  }

  subscribe(projectId: string, listener: (events: EventRecord[]) => void): () => void {
    return this.subscribers.subscribe(projectId, listener);
  }

  async announce(tx: SqlExecutor, projectId: string, events: EventRecord[]): Promise<void> {
    if (!events.length) return;
    for (const payload of seqPayloads(projectId, events)) await this.channel.notify(tx, payload);
  }

  /** Committed events arrive through the channel, like those of other instances. */
  committed(): void {}

  close(): void {
    this.subscribers.clear();
  }

  /**
   * Another instance (or this one) stored these seqs: fetch and fan out those not yet
   * delivered.
   */
  notified(projectId: string, runs: SeqRun[]): void {
    // Recorded for every project, listened to or not, so a replay never sends them again.
    const fresh = new Set<number>();
    for (const [a, b] of runs) for (let seq = a; seq <= b; seq++) if (this.delivered.add(seq)) fresh.add(seq);
    if (!fresh.size || !this.subscribers.has(projectId)) return;
    // Read at once, several notifications in parallel, but sent in the order the notices
    // came (commit order): a later batch's read may finish first.
    const read = this.read(projectId, runs, fresh);
    const previous = this.sending;
    this.sending = (async () => {
      const events = await read;
      await previous;
      // Events missed while LISTEN was down go out first, so feeds see seqs in order.
      await this.replaying;
      if (events.length) this.subscribers.publish(projectId, events);
    })().catch(() => undefined);
  }

  private async read(projectId: string, runs: SeqRun[], fresh: Set<number>): Promise<EventRecord[]> {
    const events: EventRecord[] = [];
    for (const [a, b] of runs) {
      const rows = await this.driver.all<EventRow>(
        'SELECT * FROM events WHERE project_id = ? AND seq >= ? AND seq <= ? ORDER BY seq',
        [projectId, a, b],
      );
      for (const r of rows) if (fresh.has(Number(r.seq))) events.push(toRecord(r));
    }
    return events;
  }

  /** LISTEN is back after a loss: live feeds get what was stored in the meantime, each event once. */
  resumed(): void {
    const replay = (this.replaying ?? Promise.resolve())
      .then(() => this.replayMissed())
      .catch(() => undefined);
    this.replaying = replay;
    void replay.then(() => {
      if (this.replaying === replay) this.replaying = undefined;
    });
  }

  private async replayMissed(): Promise<void> {
    const from = this.delivered.floor();
    // Stored after this point means announced: LISTEN is up again.
    const to = await this.maxSeq();
    for (const projectId of this.subscribers.projects()) {
      for (let after = from; after < to;) {
        const rows = await this.driver.all<EventRow>(
          'SELECT * FROM events WHERE project_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
          [projectId, after, to, REPLAY_PAGE],
        );
        const missed = rows.filter((r) => this.delivered.add(Number(r.seq))).map(toRecord);
        if (missed.length) this.subscribers.publish(projectId, missed);
        if (rows.length < REPLAY_PAGE) break;
        after = Number(rows[rows.length - 1].seq);
      }
    }
    this.delivered.raise(to);
  }

  private async maxSeq(): Promise<number> {
    const [row] = await this.driver.all<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events');
    return Number(row?.seq ?? 0);
  }
}
