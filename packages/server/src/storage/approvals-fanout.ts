import type { NotificationChannel, SqlExecutor } from './driver';
import { Subscribers } from './live-fanout';
import { APPROVALS_PREFIX } from './notifications';
import type { ApprovalChange } from './approvals-records';

/**
 * What changed, by id: enough to read it again on any instance.
 *
 * @example
 * ```ts
 * const ref: ApprovalChangeRef = { kind: 'grant', projectId: 'prj_1', id: 'Xk2…' };
 * ```
 */
export interface ApprovalChangeRef {
  kind: ApprovalChange['kind'];
  projectId: string;
  id: string;
}

/**
 * Approval changes as waiters and streams see them: every decision, expiry and grant
 * change of a project from now on, made on this instance or (PostgreSQL) any instance
 * sharing the database.
 *
 * @example
 * ```ts
 * const stop = storage.approvals.subscribe(projectId, (change) => send(change));
 * ```
 */
export interface ApprovalFeed {
  subscribe(projectId: string, listener: (change: ApprovalChange) => void): () => void;
}

/**
 * How approval changes reach listeners, the way stored events reach live feeds
 * (live-fanout.ts): the repository announces a change in the transaction that makes it
 * and hands it over once committed.
 *
 * @example
 * ```ts
 * await driver.transaction((tx) => { …; return fanOut.announce(tx, ref); });
 * fanOut.committed(change);
 * ```
 */
export interface ApprovalFanOut extends ApprovalFeed {
  announce(tx: SqlExecutor, ref: ApprovalChangeRef): Promise<void>;
  committed(projectId: string, change: ApprovalChange): void;
  close(): void;
}

/**
 * One process (SQLite): a committed change goes straight to this process's listeners.
 *
 * @example
 * ```ts
 * const fanOut = new InProcessApprovalFanOut();
 * ```
 */
export class InProcessApprovalFanOut implements ApprovalFanOut {
  private readonly subscribers = new Subscribers<ApprovalChange>();

  subscribe(projectId: string, listener: (change: ApprovalChange) => void): () => void {
    return this.subscribers.subscribe(projectId, listener);
  }

  async announce(): Promise<void> {}

  committed(projectId: string, change: ApprovalChange): void {
    this.subscribers.publish(projectId, change);
  }

  close(): void {
    this.subscribers.clear();
  }
}

/**
 * Instances sharing PostgreSQL: a change is NOTIFYed at commit as `approvals:a|g:project:id`
 * on the channel the live feeds use, and every instance (this one too) reads the row
 * again and passes it to its listeners, in the order the notices came.
 *
 * @example
 * ```ts
 * const fanOut = new NotifyApprovalFanOut(driver.notifications, (ref) => approvals.changeOf(ref));
 * await routeNotifications(driver.notifications, { keys, events, approvals: fanOut }, MAX_GROUP_EVENTS);
 * ```
 */
export class NotifyApprovalFanOut implements ApprovalFanOut {
  private readonly subscribers = new Subscribers<ApprovalChange>();
  /** The last change on its way to listeners; the next waits for it. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly channel: NotificationChannel,
    private readonly read: (ref: ApprovalChangeRef) => Promise<ApprovalChange | undefined>,
  ) {}

  subscribe(projectId: string, listener: (change: ApprovalChange) => void): () => void {
    return this.subscribers.subscribe(projectId, listener);
  }

  async announce(tx: SqlExecutor, ref: ApprovalChangeRef): Promise<void> {
    await this.channel.notify(
      tx,
      `${APPROVALS_PREFIX}${ref.kind === 'approval' ? 'a' : 'g'}:${ref.projectId}:${ref.id}`,
    );
  }

  /** Committed changes arrive through the channel, like those of other instances. */
  committed(): void {}

  close(): void {
    this.subscribers.clear();
  }

  /** A payload from the channel: read the row if someone here listens to its project. */
  notified(payload: string): void {
    const [kind, projectId, id] = payload.slice(APPROVALS_PREFIX.length).split(':');
    if ((kind !== 'a' && kind !== 'g') || !projectId || !id || !this.subscribers.has(projectId)) return;
    const read = this.read({ kind: kind === 'a' ? 'approval' : 'grant', projectId, id });
    const previous = this.sending;
    this.sending = (async () => {
      const change = await read;
      await previous;
      if (change) this.subscribers.publish(projectId, change);
    })().catch(() => undefined);
  }
}
