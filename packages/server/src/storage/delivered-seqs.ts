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
  /** In the order heard; the oldest is forgotten first. */
  private readonly seqs = new Set<number>();

  /**
   * @param low Seqs up to this one count as delivered: they were stored before listening
   *   started, or have since been forgotten.
   */
  constructor(private low = 0) {}

  /** Records seq; false when it was already heard about (then it must not be sent again). */
  add(seq: number): boolean {
    if (this.seqs.has(seq)) return false;
    this.seqs.add(seq);
    if (this.seqs.size > REMEMBERED) {
      const oldest = this.seqs.values().next().value as number;
      this.seqs.delete(oldest);
      this.low = Math.max(this.low, oldest);
    }
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
