/**
 * Why an event was dropped. Each drop happens only where a bound or a refusal forces it.
 * - `queue_full`: the in-memory queue was full and the spool could not take it in time.
 * - `spool_full`: the spool reached `maxSpoolBytes`.
 * - `spool_error`: writing the spool failed (disk full, no permission), or the spool
 *   folder is not private to this user and is not used.
 * - `spool_corrupt`: a spool line that is not a JSON object (a damaged file).
 * - `unauthorized`: the server rejected the API key (401/403); nothing more is sent.
 * - `rejected`: the server refused the event as invalid (400, 422), or the batch (another 4xx).
 * - `too_large`: one event alone exceeds the server's body limit (413).
 * - `server_error`: the server failed (5xx) on this event alone, set aside, at 5 tries each
 *   made while the server accepted other events: it works, but never for this event.
 * - `unserializable`: the event cannot be turned into JSON (circular or BigInt metadata).
 * - `shutdown`: still unsent at close with no spool to keep it.
 * - `closed`: logged after the transport was closed.
 *
 * @example
 * ```ts
 * const reason: DropReason = 'queue_full';
 * ```
 */
export type DropReason =
  | 'queue_full'
  | 'spool_full'
  | 'spool_error'
  | 'spool_corrupt'
  | 'unauthorized'
  | 'rejected'
  | 'too_large'
  | 'server_error'
  | 'unserializable'
  | 'shutdown'
  | 'closed';

/** Every drop reason, in a fixed order. */
const DROP_REASONS: readonly DropReason[] = [
  'queue_full',
  'spool_full',
  'spool_error',
  'spool_corrupt',
  'unauthorized',
  'rejected',
  'too_large',
  'server_error',
  'unserializable',
  'shutdown',
  'closed',
];

/**
 * What the cloud transport has done since it was configured. Counts are events, not
 * requests (except `requests`). `sent + dropped.total + queued + spoolPending` accounts
 * for every event logged (plus events replayed from an earlier process's spool).
 *
 * @example
 * ```ts
 * const s = getCloudStats();
 * console.log(`${s.sent} sent, ${s.retried} retried, ${s.spooled} spooled, ${s.dropped.total} dropped`);
 * ```
 */
export interface CloudStats {
  /** Events handed to `log()`. */
  readonly logged: number;
  /** Events the server accepted (a 2xx answer), including those it had seen before. */
  readonly sent: number;
  /** Of `sent`, events the server reported as already stored (a replay). */
  readonly duplicates: number;
  /** Event sends that failed and were tried again. */
  readonly retried: number;
  /** Events written to the spool. */
  readonly spooled: number;
  /** Of `sent`, events that came from the spool. */
  readonly replayed: number;
  /** Events set aside in the spool after the server kept failing on them alone (see `setAsideAfterMs`). */
  readonly setAside: number;
  /** Events dropped, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>> & { readonly total: number };
  /** Events waiting in memory (queue and the batch in flight). */
  readonly queued: number;
  /** Events waiting in spool files this process knows of. */
  readonly spoolPending: number;
  /** HTTP requests made. */
  readonly requests: number;
  /** True once the server rejected the API key; nothing more is sent. */
  readonly authRejected: boolean;
  /** The last delivery failure, e.g. `HTTP 500` or `connect ECONNREFUSED 127.0.0.1:4319`. */
  readonly lastError: string | undefined;
}

/**
 * The mutable counters behind {@link CloudStats}.
 *
 * @example
 * ```ts
 * const counters = new StatsCounters();
 * counters.drop('queue_full', 3);
 * counters.snapshot(0, 0).dropped.total; // 3
 * ```
 */
export class StatsCounters {
  logged = 0;
  sent = 0;
  duplicates = 0;
  retried = 0;
  spooled = 0;
  replayed = 0;
  setAside = 0;
  requests = 0;
  authRejected = false;
  lastError: string | undefined;
  private readonly drops: Record<DropReason, number> = Object.fromEntries(
    DROP_REASONS.map((r) => [r, 0]),
  ) as Record<DropReason, number>;

  drop(reason: DropReason, count: number): void {
    this.drops[reason] += count;
  }

  snapshot(queued: number, spoolPending: number): CloudStats {
    const dropped = { ...this.drops, total: DROP_REASONS.reduce((n, r) => n + this.drops[r], 0) };
    return {
      logged: this.logged,
      sent: this.sent,
      duplicates: this.duplicates,
      retried: this.retried,
      spooled: this.spooled,
      replayed: this.replayed,
      setAside: this.setAside,
      dropped,
      queued,
      spoolPending,
      requests: this.requests,
      authRejected: this.authRejected,
      lastError: this.lastError,
    };
  }
}
