import type { SqlExecutor } from './driver';
import type { EventRecord } from './records';

/**
 * Live events of a project, as route handlers see them.
 *
 * @example
 * ```ts
 * const unsubscribe = storage.live.subscribe(projectId, (events) => send(events));
 * ```
 */
export interface LiveEvents {
  /**
   * Calls listener with each batch a project stores from now on, on this instance or (on
   * PostgreSQL) on any instance sharing the database. Returns the unsubscribe function.
   */
  subscribe(projectId: string, listener: (events: EventRecord[]) => void): () => void;
}

/**
 * How stored events reach live feeds: the writer tells it what a transaction stores
 * ({@link announce}) and what was committed ({@link committed}). In one process that is
 * {@link InProcessFanOut}; across instances sharing PostgreSQL, `NotifyFanOut`.
 *
 * @example
 * ```ts
 * await driver.transaction(async (tx) => { stored = await insert(tx); await fanOut.announce(tx, projectId, stored); });
 * fanOut.committed(projectId, stored);
 * ```
 */
export interface LiveFanOut extends LiveEvents {
  /** Inside the transaction that stored `events` (which carry their seqs). */
  announce(tx: SqlExecutor, projectId: string, events: EventRecord[]): Promise<void>;
  /** After that transaction committed. */
  committed(projectId: string, events: EventRecord[]): void;
  /** Drops every listener. */
  close(): void;
}

/**
 * The listeners of each project, and the one way to call them. What they hear is a batch
 * of events by default; the approvals' changes travel the same way.
 *
 * @example
 * ```ts
 * const subscribers = new Subscribers();
 * const stop = subscribers.subscribe('prj_1', console.log);
 * subscribers.publish('prj_1', events);
 * ```
 */
export class Subscribers<T = EventRecord[]> {
  private readonly listeners = new Map<string, Set<(item: T) => void>>();

  subscribe(projectId: string, listener: (item: T) => void): () => void {
    let set = this.listeners.get(projectId);
    if (!set) this.listeners.set(projectId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(projectId) === set) this.listeners.delete(projectId);
    };
  }

  has(projectId: string): boolean {
    return this.listeners.has(projectId);
  }

  /** The projects someone listens to now. */
  projects(): string[] {
    return [...this.listeners.keys()];
  }

  publish(projectId: string, item: T): void {
    for (const listener of this.listeners.get(projectId) ?? []) {
      try {
        listener(item);
      } catch {
        // One broken subscriber must not stop the others (or the ingest that fed them).
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/**
 * Fan-out within one process, which is then the only writer (SQLite): what was committed
 * goes straight to this process's listeners.
 *
 * @example
 * ```ts
 * const fanOut = new InProcessFanOut();
 * fanOut.subscribe('prj_1', (events) => console.log(events.length));
 * ```
 */
export class InProcessFanOut implements LiveFanOut {
  private readonly subscribers = new Subscribers();

  subscribe(projectId: string, listener: (events: EventRecord[]) => void): () => void {
    return this.subscribers.subscribe(projectId, listener);
  }

  async announce(): Promise<void> {}

  committed(projectId: string, events: EventRecord[]): void {
    if (events.length) this.subscribers.publish(projectId, events);
  }

  close(): void {
    this.subscribers.clear();
  }
}
