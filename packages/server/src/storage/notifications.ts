import type { NotificationChannel } from './driver';
import type { EventRecord } from './records';

/*
 * What instances sharing a PostgreSQL database tell each other, and who hears it. Three
 * payloads travel on the channel: `keys` (API keys changed), `project|a-b,c` (the seqs
 * of events a transaction stored, as runs) and `approvals:…` (an approval decided or a
 * grant changed, see approvals-fanout.ts). The writer, the accounts and the approvals send
 * them; the router below hands each to its owner.
 */

/**
 * The payload that says keys were created, rotated or revoked; never a project payload
 * (those hold a `|`).
 *
 * @example
 * ```ts
 * await driver.notifications?.notify(tx, KEYS_CHANGED);
 * ```
 */
export const KEYS_CHANGED = 'keys';

/** PostgreSQL NOTIFY payloads must stay under 8000 bytes. */
const MAX_NOTIFY_BYTES = 7000;

/**
 * `project|a-b,c,d-e` naming the stored seqs as runs, split to fit NOTIFY's payload limit.
 *
 * @example
 * ```ts
 * seqPayloads('prj_1', stored); // ['prj_1|41-140']
 * ```
 */
export function seqPayloads(projectId: string, events: readonly EventRecord[]): string[] {
  const seqs = events.map((e) => e.seq!).sort((a, b) => a - b);
  const runs: string[] = [];
  let start = seqs[0];
  let prev = seqs[0];
  for (const s of [...seqs.slice(1), NaN]) {
    if (s === prev + 1) {
      prev = s;
      continue;
    }
    runs.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = s;
  }
  const payloads: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const run of runs) {
    if (bytes + run.length + projectId.length + 2 > MAX_NOTIFY_BYTES && current.length) {
      payloads.push(`${projectId}|${current.join(',')}`);
      current = [];
      bytes = 0;
    }
    current.push(run);
    bytes += run.length + 1;
  }
  payloads.push(`${projectId}|${current.join(',')}`);
  return payloads;
}

/**
 * A run of seqs one transaction stored, first and last included.
 *
 * @example
 * ```ts
 * const run: SeqRun = [41, 140];
 * ```
 */
export type SeqRun = [first: number, last: number];

/**
 * Who hears what arrives on the channel.
 *
 * @example
 * ```ts
 * await routeNotifications(channel, { keys: accounts, events: fanOut });
 * ```
 */
export interface NotificationOwners {
  /** Told when keys changed, or when announcements of key changes may have been missed. */
  keys: { keysMayHaveChanged(): void };
  /** Told of stored seqs, and when listening resumed after a loss (some went unheard). */
  events: { notified(projectId: string, runs: SeqRun[]): void; resumed(): void };
  /** Told of approval changes (payloads starting with {@link APPROVALS_PREFIX}). */
  approvals?: { notified(payload: string): void };
}

/**
 * How every approvals payload starts; project ids (`prj_…`) never do.
 *
 * @example
 * ```ts
 * await channel.notify(tx, `${APPROVALS_PREFIX}a:prj_1:Xk2…`);
 * ```
 */
export const APPROVALS_PREFIX = 'approvals:';

/**
 * Listens on the channel and hands each payload to its owner. Resolves once notifications
 * sent afterwards will arrive.
 *
 * @param maxRun The longest run one transaction stores; a longer one is not ours and
 *   would only burn CPU, so it is dropped.
 * @example
 * ```ts
 * await routeNotifications(driver.notifications, { keys: accounts, events: fanOut }, MAX_GROUP_EVENTS);
 * ```
 */
export function routeNotifications(
  channel: NotificationChannel,
  owners: NotificationOwners,
  maxRun: number,
): Promise<void> {
  return channel.listen({
    payload: (payload) => {
      if (payload === KEYS_CHANGED) owners.keys.keysMayHaveChanged();
      else if (payload.startsWith(APPROVALS_PREFIX)) owners.approvals?.notified(payload);
      else {
        const bar = payload.lastIndexOf('|');
        owners.events.notified(payload.slice(0, bar), parseRuns(payload.slice(bar + 1), maxRun));
      }
    },
    // Key changes announced while the connection was down were missed: cached keys are
    // looked up again, now and once it is back.
    lost: () => owners.keys.keysMayHaveChanged(),
    resumed: () => {
      owners.keys.keysMayHaveChanged();
      owners.events.resumed();
    },
  });
}

function parseRuns(text: string, maxRun: number): SeqRun[] {
  return text
    .split(',')
    .map((r) => r.split('-').map(Number))
    .filter(([a, b = a]) => Number.isSafeInteger(a) && Number.isSafeInteger(b) && a <= b && b - a < maxRun)
    .map(([a, b = a]) => [a, b]);
}
