/** How many of the newest seqs are remembered; older ones count as delivered. */
const REMEMBERED = 10_000;

/**
 * The seqs of stored events this instance has heard about (notified, or replayed after its
 * LISTEN connection came back), the newest {@link REMEMBERED}. A replay reads what was stored
 * after {@link DeliveredSeqs.floor} and sends only seqs {@link DeliveredSeqs.add} has not
 * seen, so an event reaches live feeds once whether its notice or the replay comes first,
 * and an event committed out of seq order is not skipped.
 *
 * @example
 * ```ts
 * const seen = new DeliveredSeqs();
 * seen.raise(maxSeqWhenListeningStarted);
 * if (seen.add(event.seq)) publish(event);
 * const missed = await eventsAfter(seen.floor());
 * ```
 */
export class DeliveredSeqs {
  private readonly seqs = new Set<number>();
  /**
   * The same seqs in the order heard, as a ring: `heard[next]` is the oldest once it is full.
   * Asking the Set for its oldest instead (`values().next()`) walks past every entry deleted
   * since V8 last compacted it, thousands per call: about 5 µs per event, paid by every
   * instance for every event stored anywhere.
   */
  private readonly heard: number[] = [];
  private next = 0;

  /**
   * @param low Seqs up to this one count as delivered: they were stored before listening
   *   started, or have since been forgotten.
   */
  constructor(private low = 0) {}

  /** Records seq; false when it was already heard about (then it must not be sent again). */
  add(seq: number): boolean {
    if (this.seqs.has(seq)) return false;
    this.seqs.add(seq);
    if (this.heard.length < REMEMBERED) {
      this.heard.push(seq);
      return true;
    }
    const oldest = this.heard[this.next];
    this.heard[this.next] = seq;
    this.next = (this.next + 1) % REMEMBERED;
    this.seqs.delete(oldest);
    this.low = Math.max(this.low, oldest);
    return true;
  }

  /** Every seq above this one that {@link add} has not seen is yet to be delivered. */
  floor(): number {
    return this.low;
  }

  /** Counts every seq up to `seq` as delivered (a replay has dealt with them). */
  raise(seq: number): void {
    this.low = Math.max(this.low, seq);
  }
}
