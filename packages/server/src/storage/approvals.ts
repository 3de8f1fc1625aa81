import { newEventId } from '@agentsudo/core';
import type { Kysely, Selectable } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { SqlDriver, SqlExecutor } from './driver';
import type { EventWriter } from './event-writer';
import {
  ApprovalBindingError,
  ApprovalNotFoundError,
  ApprovalStateError,
  PendingApprovalLimitError,
  RequestKeyReusedError,
} from './approvals-errors';
import {
  InProcessApprovalFanOut,
  NotifyApprovalFanOut,
  type ApprovalChangeRef,
  type ApprovalFanOut,
  type ApprovalFeed,
} from './approvals-fanout';
import type {
  ApprovalBinding,
  ApprovalChange,
  ApprovalDecision,
  ApprovalRecord,
  ApprovalStatus,
  GrantRecord,
  NewApproval,
} from './approvals-records';
import { execute, fetchAll, fetchFirst, queryBuilder } from './query-layer';
import type { EventRecord } from './records';
import type { ApprovalGrantsTable, ApprovalsTable, Database } from './schema';

/*
 * Written with the typed query layer throughout. Every state change is one conditional
 * UPDATE (… WHERE status = 'pending' AND expires_at > now, … WHERE consumed_at IS NULL), so
 * of two concurrent decisions or consumes, on one instance or several, exactly one changes
 * the row; the other finds it changed and is refused. RETURNING gives the changed row back
 * on both engines.
 */

/**
 * The most pending approvals one project holds by default: enough for any human queue, and
 * a bound on what a leaked ingest key can make the server store.
 *
 * @example
 * ```ts
 * await openStorage({ db, maxPendingApprovals: DEFAULT_MAX_PENDING_APPROVALS * 2 });
 * ```
 */
export const DEFAULT_MAX_PENDING_APPROVALS = 1000;

/**
 * How often the expiry sweep runs by default (ms). Reads see an expired approval as
 * expired at once; the sweep writes it and records its `approval_expired` event.
 *
 * @example
 * ```ts
 * const stop = approvals.startExpirySweep({ intervalMs: APPROVAL_SWEEP_MS });
 * ```
 */
export const APPROVAL_SWEEP_MS = 2000;

/** Rows one sweep statement expires; a longer backlog takes several. */
const SWEEP_BATCH = 500;
/** How long revoked and expired grants stay in the dashboard's list (ms). */
const RECENT_GRANTS_MS = 24 * 60 * 60_000;
/** Most grants one listing returns. */
const MAX_GRANTS_LISTED = 500;
/** The `sdk` of the events the server records for approvals. */
const SERVER_SDK = 'agentsudo-server';

type ApprovalRow = Selectable<ApprovalsTable>;

/**
 * A step of an approval made on this instance: a request that waits for a person, a
 * decision, or an expiry. Notifiers (Slack, webhooks) act on these once per step, on the
 * instance that made it, where a subscription would hear it on every instance.
 *
 * @example
 * ```ts
 * approvals.observe(({ step, approval }) => step === 'requested' && post(approval));
 * ```
 */
export interface ApprovalStep {
  step: 'requested' | 'decided' | 'expired';
  approval: ApprovalRecord;
}
type GrantRow = Selectable<ApprovalGrantsTable>;

/**
 * Approvals held by the server and the grants their decisions remember, for one database.
 * Each decision, expiry and grant change is announced to waiters and streams on every
 * instance ({@link subscribe}) and recorded as an event of the project through the event
 * writer, so the live feed shows it; an event that cannot be stored never undoes or fails
 * the change.
 *
 * @example
 * ```ts
 * const approvals = new Approvals(driver, storage.writer);
 * const { approval } = await approvals.create(projectId, { source: 'sdk', agentName: 'Bot', scope: 'write:refunds',
 *   functionName: 'refund', argsDigest, timeoutMs: 300_000 });
 * await approvals.decide(projectId, approval.id, { decision: 'approve', decidedBy: 'ops@example.com' });
 * await approvals.consume(projectId, approval.id, { agentName: 'Bot', scope: 'write:refunds', functionName: 'refund', argsDigest });
 * ```
 */
export class Approvals implements ApprovalFeed {
  private readonly db: Kysely<Database>;
  private readonly fanOut: ApprovalFanOut;
  private readonly observers = new Set<(step: ApprovalStep) => void>();
  /** Told of payloads from other instances (PostgreSQL); given to the notification router. */
  readonly notifications?: NotifyApprovalFanOut;

  constructor(
    private readonly driver: SqlDriver,
    private readonly writer: Pick<EventWriter, 'insert'>,
    private readonly maxPending: number = DEFAULT_MAX_PENDING_APPROVALS,
  ) {
    this.db = queryBuilder(driver.dialect);
    if (driver.notifications) {
      this.notifications = new NotifyApprovalFanOut(driver.notifications, (ref) => this.changeOf(ref));
      this.fanOut = this.notifications;
    } else {
      this.fanOut = new InProcessApprovalFanOut();
    }
  }

  subscribe(projectId: string, listener: (change: ApprovalChange) => void): () => void {
    return this.fanOut.subscribe(projectId, listener);
  }

  /**
   * Calls `listener` after each step made on this instance (see {@link ApprovalStep});
   * returns the function that stops it. A listener that throws is ignored.
   */
  observe(listener: (step: ApprovalStep) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /**
   * A new pending approval; or, when an active grant covers the call, one approved at
   * once (`grant` says which); or, for a `requestKey` seen before, that approval again
   * (`created: false`). Refuses a project over its pending limit
   * ({@link PendingApprovalLimitError}).
   */
  async create(
    projectId: string,
    asked: NewApproval,
    now = Date.now(),
  ): Promise<{ approval: ApprovalRecord; created: boolean; grant?: GrantRecord }> {
    const made = await this.driver.transaction(async (tx) => {
      // Creates of one project take turns on every instance, so the pending count holds.
      await this.driver.lockInTransaction?.(tx, `approvals:${projectId}`);
      if (asked.requestKey !== undefined) {
        const seen = await fetchFirst(
          tx,
          this.db
            .selectFrom('approvals')
            .selectAll()
            .where('project_id', '=', projectId)
            .where('request_key', '=', asked.requestKey),
        );
        if (seen) {
          if (
            seen.agent_name !== asked.agentName ||
            seen.scope !== asked.scope ||
            seen.function_name !== asked.functionName ||
            seen.args_digest !== (asked.argsDigest ?? null)
          )
            throw new RequestKeyReusedError(asked.requestKey);
          return { row: seen, created: false };
        }
      }
      const grant = await this.coveringGrant(tx, projectId, asked, now);
      if (!grant) {
        if ((await this.pendingCount(tx, projectId, now)) >= this.maxPending)
          throw new PendingApprovalLimitError(this.maxPending);
      }
      const row: ApprovalRow = {
        id: newId(),
        project_id: projectId,
        request_key: asked.requestKey ?? null,
        source: asked.source,
        status: grant ? 'approved' : 'pending',
        agent_name: asked.agentName,
        agent_id: asked.agentId ?? null,
        session_id: asked.sessionId ?? null,
        scope: asked.scope,
        function_name: asked.functionName,
        description: asked.description ?? null,
        args_digest: asked.argsDigest ?? null,
        channel: asked.channel ?? null,
        created_at: now,
        expires_at: now + asked.timeoutMs,
        decided_at: grant ? now : null,
        decided_by: grant ? grant.created_by : null,
        reason: null,
        remember_minutes: null,
        same_args_only: null,
        grant_id: grant ? grant.id : null,
        consumed_at: null,
      };
      await execute(tx, this.db.insertInto('approvals').values(row));
      if (grant) await this.fanOut.announce(tx, { kind: 'approval', projectId, id: row.id });
      return { row, created: true, grant };
    });
    const approval = toApproval(made.row, now);
    if (made.created) {
      this.record(approval, 'approval_requested', now);
      if (made.grant) {
        this.fanOut.committed(projectId, { kind: 'approval', approval });
        this.record(approval, 'approval_granted', now);
      } else this.tell({ step: 'requested', approval });
    }
    return { approval, created: made.created, grant: made.grant && toGrant(made.grant) };
  }

  /** One approval of the project, as it reads now (a passed deadline reads expired). */
  async get(projectId: string, id: string, now = Date.now()): Promise<ApprovalRecord | undefined> {
    const row = await this.row(this.driver, projectId, id);
    return row && toApproval(row, now);
  }

  /**
   * A page of the project's approvals, newest first, of one status or all, and how many are
   * pending. `before` is the id of the last approval of the previous page.
   */
  async list(
    projectId: string,
    options: { status?: ApprovalStatus; limit: number; before?: string },
    now = Date.now(),
  ): Promise<{ approvals: ApprovalRecord[]; pending: number; next?: string }> {
    const after =
      options.before === undefined ? undefined : await this.row(this.driver, projectId, options.before);
    if (options.before !== undefined && !after) throw new ApprovalNotFoundError('approval', options.before);
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('approvals')
        .selectAll()
        .where('project_id', '=', projectId)
        .$if(options.status !== undefined, (q) =>
          q.where((eb) => {
            // As read: pending past its deadline is expired, whether or not the sweep wrote it.
            if (options.status === 'pending')
              return eb.and([eb('status', '=', 'pending'), eb('expires_at', '>', now)]);
            if (options.status === 'expired')
              return eb.or([
                eb('status', '=', 'expired'),
                eb.and([eb('status', '=', 'pending'), eb('expires_at', '<=', now)]),
              ]);
            return eb('status', '=', options.status!);
          }),
        )
        .$if(after !== undefined, (q) =>
          q.where((eb) =>
            eb.or([
              eb('created_at', '<', after!.created_at),
              eb.and([eb('created_at', '=', after!.created_at), eb('id', '<', after!.id)]),
            ]),
          ),
        )
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(options.limit + 1),
    );
    const page = rows.slice(0, options.limit).map((r) => toApproval(r, now));
    return {
      approvals: page,
      pending: await this.pendingCount(this.driver, projectId, now),
      next: rows.length > options.limit ? page[page.length - 1].id : undefined,
    };
  }

  /**
   * Decides a pending approval, once: of concurrent decisions exactly one wins; the others,
   * and any decision after the deadline, get {@link ApprovalStateError}. An approval with
   * `rememberMinutes` also makes a grant.
   */
  async decide(
    projectId: string,
    id: string,
    decision: ApprovalDecision,
    now = Date.now(),
  ): Promise<{ approval: ApprovalRecord; grant?: GrantRecord }> {
    const approve = decision.decision === 'approve';
    const remember = approve && decision.rememberMinutes !== undefined;
    const grantId = remember ? newId() : null;
    const made = await this.driver.transaction(async (tx) => {
      const row = await fetchFirst(
        tx,
        this.db
          .updateTable('approvals')
          .set({
            status: approve ? 'approved' : 'denied',
            decided_at: now,
            decided_by: decision.decidedBy,
            reason: decision.reason ?? null,
            remember_minutes: remember ? decision.rememberMinutes! : null,
            same_args_only: remember ? (decision.sameArgsOnly ? 1 : 0) : null,
            grant_id: grantId,
          })
          .where('project_id', '=', projectId)
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .where('expires_at', '>', now)
          .returningAll(),
      );
      if (!row) {
        const current = await this.row(tx, projectId, id);
        if (!current) throw new ApprovalNotFoundError('approval', id);
        throw new ApprovalStateError(
          id,
          toApproval(current, now).status,
          current.consumed_at !== null,
          'decide',
        );
      }
      let grant: GrantRow | undefined;
      if (grantId !== null) {
        grant = {
          id: grantId,
          project_id: projectId,
          approval_id: id,
          agent_name: row.agent_name,
          agent_id: row.agent_id,
          scope: row.scope,
          args_digest: decision.sameArgsOnly ? row.args_digest : null,
          created_at: now,
          created_by: decision.decidedBy,
          expires_at: now + decision.rememberMinutes! * 60_000,
          revoked_at: null,
          revoked_by: null,
        };
        await execute(tx, this.db.insertInto('approval_grants').values(grant));
        await this.fanOut.announce(tx, { kind: 'grant', projectId, id: grantId });
      }
      await this.fanOut.announce(tx, { kind: 'approval', projectId, id });
      return { row, grant };
    });
    const approval = toApproval(made.row, now);
    const grant = made.grant && toGrant(made.grant);
    this.fanOut.committed(projectId, { kind: 'approval', approval });
    if (grant) this.fanOut.committed(projectId, { kind: 'grant', grant });
    this.record(approval, approve ? 'approval_granted' : 'approval_denied', now);
    this.tell({ step: 'decided', approval });
    return { approval, grant };
  }

  /**
   * Uses an approved approval for the call it was asked for, once. Refuses a call that
   * differs in any bound field ({@link ApprovalBindingError}), and an approval that is not
   * approved, is past its deadline or was used already ({@link ApprovalStateError}).
   */
  async consume(
    projectId: string,
    id: string,
    call: ApprovalBinding,
    now = Date.now(),
  ): Promise<ApprovalRecord> {
    const row = await this.row(this.driver, projectId, id);
    if (!row) throw new ApprovalNotFoundError('approval', id);
    const refuse = (r: ApprovalRow) =>
      new ApprovalStateError(id, toApproval(r, now).status, r.consumed_at !== null, 'consume');
    if (row.status !== 'approved' || row.consumed_at !== null || row.expires_at <= now) throw refuse(row);
    const bound: Array<[string, unknown, unknown]> = [
      ['agent_name', row.agent_name, call.agentName],
      ['agent_id', row.agent_id, call.agentId ?? null],
      ['scope', row.scope, call.scope],
      ['function_name', row.function_name, call.functionName],
      ['args_digest', row.args_digest, call.argsDigest],
    ];
    for (const [field, asked, given] of bound) if (asked !== given) throw new ApprovalBindingError(field);
    const used = await fetchFirst(
      this.driver,
      this.db
        .updateTable('approvals')
        .set({ consumed_at: now })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('status', '=', 'approved')
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll(),
    );
    if (!used) throw refuse((await this.row(this.driver, projectId, id)) ?? row);
    return toApproval(used, now);
  }

  /**
   * Writes `expired` on every pending approval past its deadline (in batches), announces
   * each and records its `approval_expired` event; resolves to how many. Each approval
   * expires once, whichever instance's sweep gets it.
   */
  async expireDue(now = Date.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await this.driver.transaction(async (tx) => {
        const rows = await fetchAll(
          tx,
          this.db
            .updateTable('approvals')
            .set((eb) => ({ status: 'expired', decided_at: eb.ref('expires_at') }))
            .where('status', '=', 'pending')
            .where('id', 'in', (eb) =>
              eb
                .selectFrom('approvals')
                .select('id')
                .where('status', '=', 'pending')
                .where('expires_at', '<=', now)
                .limit(SWEEP_BATCH),
            )
            .returningAll(),
        );
        for (const r of rows)
          await this.fanOut.announce(tx, { kind: 'approval', projectId: r.project_id, id: r.id });
        return rows;
      });
      for (const r of expired) {
        const approval = toApproval(r, now);
        this.fanOut.committed(r.project_id, { kind: 'approval', approval });
        this.record(approval, 'approval_expired', now);
        this.tell({ step: 'expired', approval });
      }
      total += expired.length;
      if (expired.length < SWEEP_BATCH) return total;
    }
  }

  /**
   * Runs {@link expireDue} every `intervalMs` (one run at a time); returns the function
   * that stops it and waits for a run in progress.
   */
  startExpirySweep(
    options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
  ): () => Promise<void> {
    let running: Promise<unknown> = Promise.resolve();
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      running = this.expireDue()
        .catch((err) => options.onError?.(err))
        .finally(() => (busy = false));
    }, options.intervalMs ?? APPROVAL_SWEEP_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  /** The project's grants in force now, of one agent or all, newest first. */
  async activeGrants(
    projectId: string,
    options: { agentName?: string } = {},
    now = Date.now(),
  ): Promise<GrantRecord[]> {
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('approval_grants')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .$if(options.agentName !== undefined, (q) => q.where('agent_name', '=', options.agentName!))
        .orderBy('created_at', 'desc')
        .limit(MAX_GRANTS_LISTED),
    );
    return rows.map(toGrant);
  }

  /** The project's grants in force, and those revoked or expired in the last 24 hours. */
  async grants(projectId: string, now = Date.now()): Promise<GrantRecord[]> {
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('approval_grants')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('expires_at', '>', now - RECENT_GRANTS_MS)
        .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now - RECENT_GRANTS_MS)]))
        .orderBy('created_at', 'desc')
        .limit(MAX_GRANTS_LISTED),
    );
    return rows.map(toGrant);
  }

  /** Revokes a grant (a revoked grant stays revoked: revoking again answers it as it is). */
  async revokeGrant(
    projectId: string,
    id: string,
    revokedBy: string,
    now = Date.now(),
  ): Promise<GrantRecord> {
    const row = await this.driver.transaction(async (tx) => {
      const revoked = await fetchFirst(
        tx,
        this.db
          .updateTable('approval_grants')
          .set({ revoked_at: now, revoked_by: revokedBy })
          .where('project_id', '=', projectId)
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .returningAll(),
      );
      if (revoked) await this.fanOut.announce(tx, { kind: 'grant', projectId, id });
      return revoked;
    });
    if (row) {
      const grant = toGrant(row);
      this.fanOut.committed(projectId, { kind: 'grant', grant });
      return grant;
    }
    const current = await fetchFirst(
      this.driver,
      this.db
        .selectFrom('approval_grants')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id),
    );
    if (!current) throw new ApprovalNotFoundError('grant', id);
    return toGrant(current);
  }

  /** Stops announcing changes to this instance's listeners. */
  close(): void {
    this.fanOut.close();
  }

  /** The change a notice names, read again (another instance made it). */
  private async changeOf(ref: ApprovalChangeRef): Promise<ApprovalChange | undefined> {
    if (ref.kind === 'approval') {
      const approval = await this.get(ref.projectId, ref.id);
      return approval && { kind: 'approval', approval };
    }
    const row = await fetchFirst(
      this.driver,
      this.db
        .selectFrom('approval_grants')
        .selectAll()
        .where('project_id', '=', ref.projectId)
        .where('id', '=', ref.id),
    );
    return row && { kind: 'grant', grant: toGrant(row) };
  }

  /** Requests of the project still waiting at `now`. */
  private async pendingCount(executor: SqlExecutor, projectId: string, now: number): Promise<number> {
    const counted = await fetchFirst(
      executor,
      this.db
        .selectFrom('approvals')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('project_id', '=', projectId)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now),
    );
    return Number(counted?.n ?? 0);
  }

  private row(executor: SqlExecutor, projectId: string, id: string): Promise<ApprovalRow | undefined> {
    return fetchFirst(
      executor,
      this.db.selectFrom('approvals').selectAll().where('project_id', '=', projectId).where('id', '=', id),
    );
  }

  /** An active grant that covers this call: same agent and scope, and digest if it is bound to one. */
  private coveringGrant(
    tx: SqlExecutor,
    projectId: string,
    asked: NewApproval,
    now: number,
  ): Promise<GrantRow | undefined> {
    return fetchFirst(
      tx,
      this.db
        .selectFrom('approval_grants')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('agent_name', '=', asked.agentName)
        .where('scope', '=', asked.scope)
        .where('expires_at', '>', now)
        .where('revoked_at', 'is', null)
        .where((eb) =>
          asked.agentId === undefined ? eb('agent_id', 'is', null) : eb('agent_id', '=', asked.agentId),
        )
        .where((eb) =>
          asked.argsDigest === undefined
            ? eb('args_digest', 'is', null)
            : eb.or([eb('args_digest', 'is', null), eb('args_digest', '=', asked.argsDigest)]),
        )
        .orderBy('expires_at', 'desc')
        .limit(1),
    );
  }

  private tell(step: ApprovalStep): void {
    for (const listener of this.observers) {
      try {
        listener(step);
      } catch {
        // A notifier's failure never undoes or fails the step it was told of.
      }
    }
  }

  /** Records a step of an approval as an event of its project; a failure stays here. */
  private record(a: ApprovalRecord, action: EventRecord['action'], now: number): void {
    const event: EventRecord = {
      eventId: newEventId(),
      ts: now * 1000,
      agentName: a.agentName,
      action,
      scope: a.scope,
      functionName: a.functionName,
      allowed: action === 'approval_granted',
      approvalId: a.id,
      sdk: SERVER_SDK,
    };
    if (a.agentId !== undefined) event.agentId = a.agentId;
    if (a.sessionId !== undefined) event.sessionId = a.sessionId;
    if ((action === 'approval_granted' || action === 'approval_denied') && a.decidedBy !== undefined)
      event.decidedBy = a.decidedBy;
    if (action === 'approval_denied' || action === 'approval_expired') event.reason = 'approval';
    // The decision stands whether or not its event could be stored (telemetry never breaks the call).
    // Queued even when ingest is refused for load: nobody would send it again.
    this.writer.insert(a.projectId, [event], { whenFull: 'queue' }).catch(() => undefined);
  }
}

/** 128 random bits, base64url: 22 characters, never guessable, never sequential. */
function newId(): string {
  return randomBytes(16).toString('base64url');
}

function toApproval(r: ApprovalRow, now: number): ApprovalRecord {
  const a: ApprovalRecord = {
    id: r.id,
    projectId: r.project_id,
    source: r.source,
    status: r.status === 'pending' && Number(r.expires_at) <= now ? 'expired' : r.status,
    agentName: r.agent_name,
    scope: r.scope,
    functionName: r.function_name,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
  if (r.agent_id !== null) a.agentId = r.agent_id;
  if (r.session_id !== null) a.sessionId = r.session_id;
  if (r.description !== null) a.description = r.description;
  if (r.args_digest !== null) a.argsDigest = r.args_digest;
  if (r.channel !== null) a.channel = r.channel;
  if (r.decided_at !== null) a.decidedAt = Number(r.decided_at);
  else if (a.status === 'expired') a.decidedAt = a.expiresAt;
  if (r.decided_by !== null) a.decidedBy = r.decided_by;
  if (r.reason !== null) a.reason = r.reason;
  if (r.remember_minutes !== null) a.rememberMinutes = Number(r.remember_minutes);
  if (r.same_args_only !== null) a.sameArgsOnly = Number(r.same_args_only) === 1;
  if (r.grant_id !== null) a.grantId = r.grant_id;
  if (r.consumed_at !== null) a.consumedAt = Number(r.consumed_at);
  return a;
}

function toGrant(r: GrantRow): GrantRecord {
  const g: GrantRecord = {
    id: r.id,
    projectId: r.project_id,
    approvalId: r.approval_id,
    agentName: r.agent_name,
    scope: r.scope,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    expiresAt: Number(r.expires_at),
  };
  if (r.agent_id !== null) g.agentId = r.agent_id;
  if (r.args_digest !== null) g.argsDigest = r.args_digest;
  if (r.revoked_at !== null) g.revokedAt = Number(r.revoked_at);
  if (r.revoked_by !== null) g.revokedBy = r.revoked_by;
  return g;
}
