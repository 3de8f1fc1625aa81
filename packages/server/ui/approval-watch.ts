import { api, type ApiEvent } from './api';

/** The steps of an approval the server records as events of its project. */
const APPROVAL_ACTIONS = new Set([
  'approval_requested',
  'approval_granted',
  'approval_denied',
  'approval_expired',
]);

type Listener = (pending: number) => void;

/**
 * One project's approvals as the dashboard follows them: the number of pending requests,
 * kept current from the project's live feed (the server records every request, decision
 * and expiry there as an event), and who wants to hear when it changes.
 */
interface Watch {
  project: string;
  source: EventSource;
  pending: number | undefined;
  listeners: Set<Listener>;
  /** Set while a recount is asked for, so a burst of events costs one request. */
  counting: boolean;
  again: boolean;
}

/** The project on screen: switching project or signing out closes its feed. */
let current: Watch | undefined;

function approvalEventsOf(data: string): ApiEvent[] {
  try {
    const parsed = JSON.parse(data) as unknown;
    const list = Array.isArray(parsed) ? parsed : ((parsed as { events?: unknown }).events ?? [parsed]);
    return (list as ApiEvent[]).filter((e) => e && APPROVAL_ACTIONS.has(e.action));
  } catch {
    return [];
  }
}

async function recount(watch: Watch): Promise<void> {
  if (watch.counting) {
    watch.again = true;
    return;
  }
  watch.counting = true;
  try {
    do {
      watch.again = false;
      const { pending } = await api.approvals(watch.project, 'pending', 1);
      if (current !== watch) return;
      watch.pending = pending;
      for (const listener of [...watch.listeners]) listener(pending);
    } while (watch.again);
  } catch {
    // The badge keeps its last count; the next event or reconnection counts again.
  } finally {
    watch.counting = false;
  }
}

function open(project: string): Watch {
  const source = new EventSource(api.liveUrl(project), { withCredentials: true });
  const watch: Watch = {
    project,
    source,
    pending: undefined,
    listeners: new Set(),
    counting: false,
    again: false,
  };
  const onMessage = (message: MessageEvent<string>) => {
    if (approvalEventsOf(message.data).length > 0) void recount(watch);
  };
  source.addEventListener('message', onMessage);
  source.addEventListener('events', onMessage as EventListener);
  source.addEventListener('event', onMessage as EventListener);
  // Counted on every (re)connection: what happened while the feed was down is not replayed here.
  source.addEventListener('open', () => void recount(watch));
  return watch;
}

/**
 * Follows the project's pending approvals: calls `listener` with the pending count now
 * (when known) and on every change, until the returned function is called. One live-feed
 * connection per project serves every listener (the nav badge, the Approvals page) and
 * stays open across pages of the same project.
 *
 * @example
 * ```ts
 * const stop = watchApprovals(projectId, (pending) => (badge.textContent = String(pending)));
 * ```
 */
export function watchApprovals(project: string, listener: Listener): () => void {
  if (current?.project !== project) {
    current?.source.close();
    current = open(project);
  }
  const watch = current;
  watch.listeners.add(listener);
  if (watch.pending !== undefined) listener(watch.pending);
  return () => watch.listeners.delete(listener);
}

/**
 * Asks the server for the pending count again at once (after this tab decided, say),
 * rather than waiting for the decision's event to come back on the feed.
 *
 * @example
 * ```ts
 * await api.decide(projectId, id, { decision: 'approve' });
 * refreshApprovals();
 * ```
 */
export function refreshApprovals(): void {
  if (current) void recount(current);
}

/**
 * Closes the project's live feed (signing out, or a page outside any project).
 *
 * @example
 * ```ts
 * stopWatchingApprovals();
 * ```
 */
export function stopWatchingApprovals(): void {
  current?.source.close();
  current = undefined;
}
