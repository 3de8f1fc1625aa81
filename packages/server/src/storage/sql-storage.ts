import type { SudoAction } from '@agentsudo/core';
import type { SqlDriver, SqlExecutor } from './driver';
import { outcomeOf } from '../outcome';
import { DeliveredSeqs } from './delivered-seqs';
import { migrate } from './migrations';
import { countOf, IS_CHECK_SQL, OUTCOME_SQL } from './outcome-sql';
import type {
  AgentSummary,
  Bucket,
  Counts,
  EventCursor,
  EventFilter,
  EventPage,
  EventRecord,
  InsertResult,
  KeyKind,
  KeyRecord,
  LoginAttemptCount,
  ProjectRecord,
  Stats,
  UserRecord,
} from './records';
import { SEARCH_COLUMNS } from './records';
import { HOUR_US, bucketUs } from './time';
import type { Storage } from './storage';

const EVENT_COLUMNS = [
  'project_id',
  'event_id',
  'ts',
  'agent_name',
  'agent_id',
  'role',
  'session_id',
  'action',
  'scope',
  'allowed',
  'function_name',
  'metadata',
  'sdk',
  'received_at',
] as const;
/** Rows per multi-row INSERT: 500 × 14 parameters stays far below both databases' limits. */
const INSERT_CHUNK = 500;
/** PostgreSQL NOTIFY payloads must stay under 8000 bytes. */
const MAX_NOTIFY_BYTES = 7000;
/** Deletes run in slices so retention never holds the write lock for long. */
const DELETE_SLICE = 5000;
/** Rows in each top-scopes list of stats (denied, audited). */
const TOP_SCOPES = 10;
/** Rows per read when replaying what live feeds missed while LISTEN was down. */
const REPLAY_PAGE = 1000;
/** Most events one group commit holds; more waiting batches go in the next. */
const MAX_GROUP_EVENTS = 20_000;

/** A batch waiting for its transaction, and how to answer its caller. */
interface WriteJob {
  projectId: string;
  /** The batch's distinct events, by event id (how RETURNING rows are matched back). */
  batch: Map<string, EventRecord>;
  /** Events as received, repeats within the batch included (they count as duplicates). */
  received: number;
  resolve(result: InsertResult): void;
  reject(err: unknown): void;
}

const noop = () => undefined;

/** PostgreSQL deadlock and serialization failures: the transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/** Runs fn up to three times while it fails with a retryable conflict. */
async function retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 3 || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

interface EventRow {
  seq: number;
  event_id: string;
  ts: number;
  agent_name: string;
  agent_id: string | null;
  role: string | null;
  session_id: string | null;
  action: string;
  scope: string | null;
  allowed: number;
  function_name: string | null;
  metadata: string | null;
  sdk: string | null;
  received_at: number;
}

/**
 * The storage, written once against {@link SqlDriver}: SQLite and PostgreSQL run the same
 * statements. Stats read hourly rollups maintained in the ingest transaction, plus the
 * raw events of the partial hours at the edges of the range.
 *
 * @example
 * ```ts
 * const storage = await SqlStorage.open(new SqliteDriver('./agentsudo.db'));
 * ```
 */
export class SqlStorage implements Storage {
  private readonly listeners = new Map<string, Set<(events: EventRecord[]) => void>>();
  private readonly queued: WriteJob[] = [];
  private flushing = false;
  /** Key changes made through this storage or announced by other instances. */
  private keyChanges = 0;
  /** Stored events heard about through notifications or replays (PostgreSQL). */
  private readonly delivered = new DeliveredSeqs();
  /** The replay after a LISTEN reconnection, while it runs: notified events wait for it. */
  private replaying?: Promise<void>;

  private constructor(private readonly driver: SqlDriver) {}

  get dialect() {
    return this.driver.dialect;
  }

  /** Migrates the database and, on PostgreSQL, starts listening for other instances. */
  static async open(driver: SqlDriver): Promise<SqlStorage> {
    const storage = new SqlStorage(driver);
    try {
      await migrate(driver);
      if (driver.notifications) {
        await driver.notifications.listen({
          payload: (payload) => storage.onNotification(payload),
          // Key changes announced while the connection was down were missed: cached keys
          // are looked up again, now and once it is back.
          lost: () => storage.keyChanges++,
          resumed: () => storage.onListenResumed(),
        });
        // Listening now: anything stored later is announced, anything before is history.
        storage.delivered.raise(await storage.maxSeq());
      }
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw err;
    }
    return storage;
  }

  async createProject(p: ProjectRecord): Promise<void> {
    await this.driver.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', [
      p.id,
      p.name,
      p.createdAt,
    ]);
  }

  async listProjects(): Promise<ProjectRecord[]> {
    const rows = await this.driver.all<{ id: string; name: string; created_at: number }>(
      'SELECT id, name, created_at FROM projects ORDER BY created_at, name',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at) }));
  }

  async findProject(idOrName: string): Promise<ProjectRecord | undefined> {
    const rows = await this.driver.all<{ id: string; name: string; created_at: number }>(
      'SELECT id, name, created_at FROM projects WHERE id = ? OR name = ? ORDER BY CASE WHEN id = ? THEN 0 ELSE 1 END LIMIT 1',
      [idOrName, idOrName, idOrName],
    );
    const r = rows[0];
    return r && { id: r.id, name: r.name, createdAt: Number(r.created_at) };
  }

  async insertKey(k: KeyRecord): Promise<void> {
    await this.changeKeys((tx) =>
      tx.run(
        'INSERT INTO api_keys (id, project_id, kind, prefix, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [k.id, k.projectId, k.kind, k.prefix, k.keyHash, k.createdAt, k.revokedAt ?? null],
      ),
    );
  }

  keysVersion(): number {
    return this.keyChanges + (this.driver.externalCommits?.() ?? 0);
  }

  async findKeyByHash(keyHash: string): Promise<KeyRecord | undefined> {
    return (await this.keys('WHERE key_hash = ?', [keyHash]))[0];
  }

  listKeys(projectId?: string): Promise<KeyRecord[]> {
    return projectId ? this.keys('WHERE project_id = ?', [projectId]) : this.keys('', []);
  }

  findKeysByPrefix(prefix: string): Promise<KeyRecord[]> {
    return this.keys("WHERE prefix LIKE ? ESCAPE '\\'", [`${escapeLike(prefix)}%`]);
  }

  async revokeKey(id: string, at: number): Promise<void> {
    await this.changeKeys((tx) =>
      tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]),
    );
  }

  async rotateIngestKey(k: KeyRecord, at: number): Promise<string[]> {
    return this.changeKeys(async (tx) => {
      // Rotations of one project take turns on its row (SQLite's BEGIN IMMEDIATE already
      // serialises every write): each revokes exactly the keys active when it runs, so
      // concurrent rotations leave one active key, not one each.
      const lock = this.driver.dialect === 'postgres' ? ' FOR UPDATE' : '';
      await tx.all(`SELECT id FROM projects WHERE id = ?${lock}`, [k.projectId]);
      const revoked = await tx.all<{ prefix: string }>(
        `UPDATE api_keys SET revoked_at = ? WHERE project_id = ? AND kind = 'ingest' AND revoked_at IS NULL
         RETURNING prefix`,
        [at, k.projectId],
      );
      await tx.run(
        'INSERT INTO api_keys (id, project_id, kind, prefix, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [k.id, k.projectId, k.kind, k.prefix, k.keyHash, k.createdAt, null],
      );
      return revoked.map((r) => r.prefix);
    });
  }

  /** Changes keys and tells every instance (PostgreSQL NOTIFY at commit) to look them up again. */
  private async changeKeys<T>(change: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const result = await this.driver.transaction(async (tx) => {
      const out = await change(tx);
      await this.driver.notifications?.notify(tx, KEYS_CHANGED);
      return out;
    });
    this.keyChanges++;
    return result;
  }

  async createUser(u: UserRecord): Promise<void> {
    await this.driver.run('INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)', [
      u.id,
      u.email,
      u.passwordHash,
      u.createdAt,
    ]);
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    return (await this.users('WHERE email = ?', [email]))[0];
  }

  async findUserById(id: string): Promise<UserRecord | undefined> {
    return (await this.users('WHERE id = ?', [id]))[0];
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.users('ORDER BY created_at, email', []);
  }

  async deleteUser(id: string): Promise<'deleted' | 'only-user' | 'not-found'> {
    return this.driver.transaction(async (tx) => {
      // Deletions take turns (SQLite's write transactions already do), so each counts the
      // users that the one before it left.
      await this.driver.lockInTransaction?.(tx, 'users:delete');
      const [row] = await tx.all<{ n: number | string; found: number | string }>(
        'SELECT COUNT(*) AS n, SUM(CASE WHEN id = ? THEN 1 ELSE 0 END) AS found FROM users',
        [id],
      );
      if (!Number(row?.found)) return 'not-found';
      if (Number(row.n) <= 1) return 'only-user';
      await tx.run('DELETE FROM login_sessions WHERE user_id = ?', [id]);
      await tx.run('DELETE FROM users WHERE id = ?', [id]);
      return 'deleted';
    });
  }

  async setUserPassword(id: string, passwordHash: string): Promise<boolean> {
    return this.driver.transaction(async (tx) => {
      const changed = await tx.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, id]);
      // Whoever was logged in with the old password is logged out.
      if (changed) await tx.run('DELETE FROM login_sessions WHERE user_id = ?', [id]);
      return changed > 0;
    });
  }

  async createLoginSession(tokenHash: string, userId: string, expiresAt: number): Promise<void> {
    const now = Date.now();
    await this.driver.transaction(async (tx) => {
      // Expired sessions are swept here so the table never grows without bound.
      await tx.run('DELETE FROM login_sessions WHERE expires_at < ?', [now]);
      await tx.run(
        'INSERT INTO login_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
        [tokenHash, userId, now, expiresAt],
      );
    });
  }

  async findLoginSession(tokenHash: string, now: number): Promise<UserRecord | undefined> {
    return (
      await this.users(
        'WHERE id = (SELECT user_id FROM login_sessions WHERE token_hash = ? AND expires_at > ?)',
        [tokenHash, now],
      )
    )[0];
  }

  async deleteLoginSession(tokenHash: string): Promise<void> {
    await this.driver.run('DELETE FROM login_sessions WHERE token_hash = ?', [tokenHash]);
  }

  async liveLoginSessions(tokenHashes: readonly string[], now: number): Promise<Set<string>> {
    const live = new Set<string>();
    // In slices: SQLite caps the parameters of one statement.
    for (let i = 0; i < tokenHashes.length; i += 500) {
      const slice = tokenHashes.slice(i, i + 500);
      const rows = await this.driver.all<{ token_hash: string }>(
        `SELECT token_hash FROM login_sessions WHERE token_hash IN ${placeholders(1, slice.length)} AND expires_at > ?`,
        [...slice, now],
      );
      for (const r of rows) live.add(r.token_hash);
    }
    return live;
  }

  async recordLoginAttempt(
    attemptId: string,
    keys: readonly string[],
    at: number,
    since: number,
  ): Promise<LoginAttemptCount[]> {
    return this.driver.transaction(async (tx) => {
      // Attempts on the same keys take turns, on every instance: each counts all before it.
      for (const key of [...keys].sort()) await this.driver.lockInTransaction?.(tx, `login:${key}`);
      await tx.run('DELETE FROM login_attempts WHERE at <= ?', [since]);
      for (const key of keys)
        await tx.run('INSERT INTO login_attempts (attempt_id, key, at) VALUES (?, ?, ?)', [
          attemptId,
          key,
          at,
        ]);
      const rows = await tx.all<{ key: string; n: number | string; oldest: number | string }>(
        `SELECT key, COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts
         WHERE key IN ${placeholders(1, keys.length)} AND at > ? GROUP BY key`,
        [...keys, since],
      );
      return rows.map((r) => ({ key: r.key, count: Number(r.n), oldest: Number(r.oldest) }));
    });
  }

  async deleteLoginAttempt(attemptId: string): Promise<void> {
    await this.driver.run('DELETE FROM login_attempts WHERE attempt_id = ?', [attemptId]);
  }

  async clearLoginAttempts(keys: readonly string[] | 'all'): Promise<number> {
    if (keys === 'all') return this.driver.run('DELETE FROM login_attempts');
    if (keys.length === 0) return 0;
    return this.driver.run(`DELETE FROM login_attempts WHERE key IN ${placeholders(1, keys.length)}`, [
      ...keys,
    ]);
  }

  async countLoginAttempts(since: number): Promise<LoginAttemptCount[]> {
    const rows = await this.driver.all<{ key: string; n: number | string; oldest: number | string }>(
      'SELECT key, COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts WHERE at > ? GROUP BY key ORDER BY key',
      [since],
    );
    return rows.map((r) => ({ key: r.key, count: Number(r.n), oldest: Number(r.oldest) }));
  }

  async insertEvents(projectId: string, events: readonly EventRecord[]): Promise<InsertResult> {
    const unique = new Map<string, EventRecord>();
    for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
    const job: WriteJob = { projectId, batch: unique, received: events.length, resolve: noop, reject: noop };
    const done = new Promise<InsertResult>((resolve, reject) => {
      job.resolve = resolve;
      job.reject = reject;
    });
    if (this.driver.dialect === 'sqlite') {
      // One writer: batches that arrive while a commit runs share the next transaction
      // (group commit). Each is still answered only after the commit that stored it.
      // The flush starts on the next turn of the event loop, so batches whose requests were
      // parsed in this turn (SQLite blocked the loop during the last commit) join it.
      this.queued.push(job);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushQueued());
      }
    } else {
      this.commit([job]).catch(() => undefined);
    }
    return done;
  }

  private async flushQueued(): Promise<void> {
    try {
      while (this.queued.length) {
        let events = 0;
        let n = 0;
        while (
          n < this.queued.length &&
          (n === 0 || events + this.queued[n].batch.size <= MAX_GROUP_EVENTS)
        ) {
          events += this.queued[n++].batch.size;
        }
        const group = this.queued.splice(0, n);
        try {
          await this.commit(group);
        } catch {
          // One bad batch must not fail the others it shared a transaction with.
          if (group.length > 1) for (const job of group) await this.commit([job]).catch(() => undefined);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Stores jobs in one transaction; answers each after commit, or rejects them all (a lone job). */
  private async commit(jobs: WriteJob[]): Promise<void> {
    const receivedAt = Date.now() * 1000;
    let stored: EventRecord[][];
    try {
      stored = await retryConflicts(() =>
        this.driver.transaction(async (tx) => {
          const out: EventRecord[][] = [];
          for (const job of jobs) out.push(await this.writeBatch(tx, job.projectId, job.batch, receivedAt));
          // Rollups once per project for the whole group: fewer statements per commit.
          const byProject = new Map<string, EventRecord[]>();
          jobs.forEach((job, i) => {
            const list = byProject.get(job.projectId);
            if (list) list.push(...out[i]);
            else byProject.set(job.projectId, [...out[i]]);
          });
          for (const [projectId, events] of byProject) await updateRollups(tx, projectId, events);
          return out;
        }),
      );
    } catch (err) {
      if (jobs.length === 1) jobs[0].reject(err);
      throw err;
    }
    jobs.forEach((job, i) => {
      // Without a notification channel this process is the only writer: fan out directly.
      if (!this.driver.notifications && stored[i].length) this.publish(job.projectId, stored[i]);
      job.resolve({ accepted: stored[i].length, duplicates: job.received - stored[i].length });
    });
  }

  private async writeBatch(
    tx: SqlExecutor,
    projectId: string,
    batch: Map<string, EventRecord>,
    receivedAt: number,
  ): Promise<EventRecord[]> {
    const all = [...batch.values()];
    const inserted: EventRecord[] = [];
    for (let i = 0; i < all.length; i += INSERT_CHUNK) {
      const chunk = all.slice(i, i + INSERT_CHUNK);
      const params: unknown[] = [];
      for (const e of chunk) pushEventParams(params, projectId, e, receivedAt);
      const rows = await tx.all<{ seq: number; event_id: string }>(insertSql(chunk.length), params);
      for (const r of rows) {
        // Records are the server's own copies (built from the request), so stamping them is safe.
        const e = batch.get(r.event_id)!;
        e.seq = Number(r.seq);
        e.receivedAt = receivedAt;
        inserted.push(e);
      }
    }
    if (this.driver.notifications && inserted.length) {
      for (const payload of notifyPayloads(projectId, inserted))
        await this.driver.notifications.notify(tx, payload);
    }
    return inserted;
  }

  async listEvents(
    projectId: string,
    filter: EventFilter,
    page: { limit: number; before?: EventCursor },
  ): Promise<EventPage> {
    const where = filterSql(projectId, filter);
    if (page.before) {
      where.sql += ' AND (ts < ? OR (ts = ? AND seq < ?))';
      where.params.push(page.before.ts, page.before.ts, page.before.seq);
    }
    const rows = await this.driver.all<EventRow>(
      `SELECT * FROM events WHERE ${where.sql} ORDER BY ts DESC, seq DESC LIMIT ?`,
      [...where.params, page.limit + 1],
    );
    const events = rows.slice(0, page.limit).map(toRecord);
    const last = events[events.length - 1];
    return rows.length > page.limit ? { events, next: { ts: last.ts, seq: last.seq! } } : { events };
  }

  async getEvent(projectId: string, eventId: string): Promise<EventRecord | undefined> {
    // The (project_id, event_id) unique index that makes deliveries idempotent finds it.
    const [row] = await this.driver.all<EventRow>(
      'SELECT * FROM events WHERE project_id = ? AND event_id = ?',
      [projectId, eventId],
    );
    return row ? toRecord(row) : undefined;
  }

  async eventsStoredAfter(
    projectId: string,
    filter: EventFilter,
    afterSeq: number,
    limit: number,
  ): Promise<{ events: EventRecord[]; skipped: boolean }> {
    const where = filterSql(projectId, filter);
    // Walks the primary key back from the newest row, so only rows stored after `afterSeq`
    // are read, however large the project.
    const rows = await this.driver.all<EventRow>(
      `SELECT * FROM events WHERE ${where.sql} AND seq > ? ORDER BY seq DESC LIMIT ?`,
      [...where.params, afterSeq, limit + 1],
    );
    return { events: rows.slice(0, limit).reverse().map(toRecord), skipped: rows.length > limit };
  }

  async *streamEvents(projectId: string, filter: EventFilter, pageSize = 1000): AsyncIterable<EventRecord> {
    let after: EventCursor | undefined;
    for (;;) {
      const where = filterSql(projectId, filter);
      if (after) {
        where.sql += ' AND (ts > ? OR (ts = ? AND seq > ?))';
        where.params.push(after.ts, after.ts, after.seq);
      }
      const rows = await this.driver.all<EventRow>(
        `SELECT * FROM events WHERE ${where.sql} ORDER BY ts, seq LIMIT ?`,
        [...where.params, pageSize],
      );
      for (const row of rows) yield toRecord(row);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { ts: Number(last.ts), seq: Number(last.seq) };
    }
  }

  async stats(projectId: string, range: { from: number; to: number; bucket: Bucket }): Promise<Stats> {
    const { from, to, bucket } = range;
    const src = rollupRanges(from, to);
    // Stats count checks (decisions), not session lifecycle: a session's start and end
    // would otherwise read as allowed checks and dilute the denial rate.
    const raw = (cols: string, extra = '') =>
      src.edges
        .map(
          () =>
            `UNION ALL SELECT ${cols} FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ${IS_CHECK_SQL}${extra}`,
        )
        .join(' ');
    const edgeParams = src.edges.flatMap(([a, b]) => [projectId, a, b]);
    const rollupParams = [projectId, src.fromHour, src.toHour, ...edgeParams];

    const agentRows = await this.driver.all<CountRow & { agent_name: string }>(
      `SELECT agent_name, SUM(a) AS a, SUM(d) AS d, SUM(u) AS u FROM (
         SELECT agent_name, allowed_n AS a, denied_n AS d, audit_n AS u FROM hourly_agent_counts
           WHERE project_id = ? AND hour >= ? AND hour < ?
         ${raw(`agent_name, ${OUTCOME_COUNTS}`)}) s
       GROUP BY agent_name ORDER BY agent_name`,
      rollupParams,
    );
    const topScopes = (table: string, outcome: 'denied' | 'audit') =>
      this.driver.all<{ scope: string; total: number }>(
        `SELECT scope, SUM(n) AS total FROM (
           SELECT scope, n FROM ${table} WHERE project_id = ? AND hour >= ? AND hour < ?
           ${raw('scope, 1 AS n', ` AND ${OUTCOME_SQL[outcome]} AND scope IS NOT NULL`)}) s
         GROUP BY scope ORDER BY total DESC, scope LIMIT ?`,
        [...rollupParams, TOP_SCOPES],
      );
    const agents = agentRows.map((r) => ({ agentName: r.agent_name, ...countsOf(r) }));
    const totals: Counts = { events: 0, allowed: 0, denied: 0, audit: 0 };
    for (const a of agents) {
      totals.events += a.events;
      totals.allowed += a.allowed;
      totals.denied += a.denied;
      totals.audit += a.audit;
    }
    // A range without denials (or audit) has no top scopes of that kind to look up.
    const deniedRows = totals.denied ? await topScopes('hourly_denied_scopes', 'denied') : [];
    const auditRows = totals.audit ? await topScopes('hourly_audit_scopes', 'audit') : [];
    // Bucket sizes are constants of our own, inlined so both databases divide integers.
    const size = bucketUs(bucket);
    const bucketRows =
      bucket === 'minute'
        ? await this.driver.all<CountRow & { b: number }>(
            `SELECT ts / ${size} AS b, ${OUTCOME_SUMS} FROM events
             WHERE project_id = ? AND ts >= ? AND ts < ? AND ${IS_CHECK_SQL} GROUP BY 1`,
            [projectId, from, to],
          )
        : await this.driver.all<CountRow & { b: number }>(
            `SELECT hour / ${size / HOUR_US} AS b, SUM(a) AS a, SUM(d) AS d, SUM(u) AS u FROM (
               SELECT hour, allowed_n AS a, denied_n AS d, audit_n AS u FROM hourly_agent_counts
                 WHERE project_id = ? AND hour >= ? AND hour < ?
               ${raw(`ts / ${HOUR_US} AS hour, ${OUTCOME_COUNTS}`)}) s
             GROUP BY 1`,
            rollupParams,
          );

    const byBucket = new Map(bucketRows.map((r) => [Number(r.b), r]));
    const buckets: Stats['buckets'] = [];
    for (let b = Math.floor(from / size); b * size < to; b++)
      buckets.push({ start: b * size, ...countsOf(byBucket.get(b)) });
    return {
      from,
      to,
      bucket,
      totals,
      activeAgents: agents.filter((a) => a.events > 0).length,
      buckets,
      topDeniedScopes: deniedRows.map((r) => ({ scope: r.scope, denied: Number(r.total) })),
      topAuditScopes: auditRows.map((r) => ({ scope: r.scope, audit: Number(r.total) })),
      agents: agents.sort((x, y) => y.events - x.events || x.agentName.localeCompare(y.agentName)),
    };
  }

  async agents(projectId: string): Promise<AgentSummary[]> {
    const rows = await this.driver.all<{
      agent_name: string;
      scope: string;
      first_seen: number;
      last_seen: number;
      n: number;
      denied_n: number;
      audit_n: number;
    }>(
      'SELECT agent_name, scope, first_seen, last_seen, n, denied_n, audit_n FROM agent_scopes WHERE project_id = ? ORDER BY agent_name, scope LIMIT 100000',
      [projectId],
    );
    const byAgent = new Map<string, AgentSummary>();
    for (const r of rows) {
      const first = Number(r.first_seen);
      const last = Number(r.last_seen);
      let a = byAgent.get(r.agent_name);
      if (!a) {
        a = {
          agentName: r.agent_name,
          firstSeen: first,
          lastSeen: last,
          events: 0,
          denied: 0,
          audit: 0,
          scopes: [],
        };
        byAgent.set(r.agent_name, a);
      }
      a.firstSeen = Math.min(a.firstSeen, first);
      a.lastSeen = Math.max(a.lastSeen, last);
      a.events += Number(r.n);
      a.denied += Number(r.denied_n);
      a.audit += Number(r.audit_n);
      // '' is where session events (which check no scope) are counted.
      if (r.scope !== '') {
        a.scopes.push({
          scope: r.scope,
          firstSeen: first,
          lastSeen: last,
          events: Number(r.n),
          denied: Number(r.denied_n),
          audit: Number(r.audit_n),
        });
      }
    }
    return [...byAgent.values()].sort((x, y) => y.lastSeen - x.lastSeen);
  }

  async deleteBefore(hour: number): Promise<number> {
    const cutoff = hour * HOUR_US;
    let deleted = 0;
    for (const p of await this.listProjects()) {
      for (;;) {
        const n = await this.driver.transaction(async (tx) => {
          const removed = await tx.run(
            'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE project_id = ? AND ts < ? LIMIT ?)',
            [p.id, cutoff, DELETE_SLICE],
          );
          if (removed < DELETE_SLICE) {
            await tx.run('DELETE FROM hourly_agent_counts WHERE project_id = ? AND hour < ?', [p.id, hour]);
            await tx.run('DELETE FROM hourly_denied_scopes WHERE project_id = ? AND hour < ?', [p.id, hour]);
            await tx.run('DELETE FROM hourly_audit_scopes WHERE project_id = ? AND hour < ?', [p.id, hour]);
            await tx.run('DELETE FROM agent_scopes WHERE project_id = ? AND last_seen < ?', [p.id, cutoff]);
          }
          return removed;
        });
        deleted += n;
        if (n < DELETE_SLICE) break;
      }
    }
    return deleted;
  }

  subscribe(projectId: string, listener: (events: EventRecord[]) => void): () => void {
    let set = this.listeners.get(projectId);
    if (!set) this.listeners.set(projectId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(projectId) === set) this.listeners.delete(projectId);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.driver.close();
  }

  private publish(projectId: string, events: EventRecord[]): void {
    for (const listener of this.listeners.get(projectId) ?? []) {
      try {
        listener(events);
      } catch {
        // One broken subscriber must not stop the others (or the ingest that fed them).
      }
    }
  }

  /**
   * `project|a-b,c-d`: another instance (or this one) stored those seqs; fetch and fan out
   * those not yet delivered. {@link KEYS_CHANGED}: keys were created, rotated or revoked.
   */
  private onNotification(payload: string): void {
    if (payload === KEYS_CHANGED) {
      this.keyChanges++;
      return;
    }
    const bar = payload.lastIndexOf('|');
    const projectId = payload.slice(0, bar);
    const ranges = payload
      .slice(bar + 1)
      .split(',')
      .map((r) => r.split('-').map(Number))
      // A run is one transaction's seqs; a longer one is not ours and would only burn CPU.
      .filter(
        ([a, b = a]) =>
          Number.isSafeInteger(a) && Number.isSafeInteger(b) && a <= b && b - a < MAX_GROUP_EVENTS,
      );
    // Recorded for every project, listened to or not, so a replay never sends them again.
    const fresh = new Set<number>();
    for (const [a, b = a] of ranges)
      for (let seq = a; seq <= b; seq++) if (this.delivered.add(seq)) fresh.add(seq);
    if (!fresh.size || !this.listeners.has(projectId)) return;
    void (async () => {
      const events: EventRecord[] = [];
      for (const [a, b = a] of ranges) {
        const rows = await this.driver.all<EventRow>(
          'SELECT * FROM events WHERE project_id = ? AND seq >= ? AND seq <= ? ORDER BY seq',
          [projectId, a, b],
        );
        for (const r of rows) if (fresh.has(Number(r.seq))) events.push(toRecord(r));
      }
      // Events missed while LISTEN was down go out first, so feeds see seqs in order.
      await this.replaying;
      if (events.length) this.publish(projectId, events);
    })().catch(() => undefined);
  }

  /**
   * LISTEN is back after a loss: keys may have changed unannounced, and live feeds get
   * what was stored in the meantime, each event once.
   */
  private onListenResumed(): void {
    this.keyChanges++;
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
    for (const projectId of [...this.listeners.keys()]) {
      for (let after = from; after < to;) {
        const rows = await this.driver.all<EventRow>(
          'SELECT * FROM events WHERE project_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
          [projectId, after, to, REPLAY_PAGE],
        );
        const missed = rows.filter((r) => this.delivered.add(Number(r.seq))).map(toRecord);
        if (missed.length) this.publish(projectId, missed);
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

  private async keys(where: string, params: unknown[]): Promise<KeyRecord[]> {
    const rows = await this.driver.all<{
      id: string;
      project_id: string;
      kind: KeyKind;
      prefix: string;
      key_hash: string;
      created_at: number;
      revoked_at: number | null;
    }>(`SELECT * FROM api_keys ${where} ORDER BY created_at`, params);
    return rows.map((r) => {
      const k: KeyRecord = {
        id: r.id,
        projectId: r.project_id,
        kind: r.kind,
        prefix: r.prefix,
        keyHash: r.key_hash,
        createdAt: Number(r.created_at),
      };
      if (r.revoked_at != null) k.revokedAt = Number(r.revoked_at);
      return k;
    });
  }

  private async users(where: string, params: unknown[]): Promise<UserRecord[]> {
    const rows = await this.driver.all<{
      id: string;
      email: string;
      password_hash: string;
      created_at: number;
    }>(`SELECT * FROM users ${where}`, params);
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      passwordHash: r.password_hash,
      createdAt: Number(r.created_at),
    }));
  }
}

const placeholderCache = new Map<string, string>();

/** `(?, ?), (?, ?)` for rows × cols, built once per shape (ingest reuses a few shapes). */
function placeholders(rows: number, cols: number): string {
  const key = `${rows}x${cols}`;
  let text = placeholderCache.get(key);
  if (text === undefined) {
    const row = `(${new Array(cols).fill('?').join(', ')})`;
    text = new Array(rows).fill(row).join(', ');
    if (placeholderCache.size > 4096) placeholderCache.clear();
    placeholderCache.set(key, text);
  }
  return text;
}

const insertSqlCache = new Map<number, string>();

function insertSql(rows: number): string {
  let sql = insertSqlCache.get(rows);
  if (sql === undefined) {
    sql = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${placeholders(rows, EVENT_COLUMNS.length)}
      ON CONFLICT (project_id, event_id) DO NOTHING RETURNING seq, event_id`;
    insertSqlCache.set(rows, sql);
  }
  return sql;
}

function pushEventParams(out: unknown[], projectId: string, e: EventRecord, receivedAt: number): void {
  out.push(
    projectId,
    e.eventId,
    e.ts,
    e.agentName,
    e.agentId ?? null,
    e.role ?? null,
    e.sessionId ?? null,
    e.action,
    e.scope ?? null,
    e.allowed ? 1 : 0,
    e.functionName ?? null,
    e.metadata == null ? null : JSON.stringify(e.metadata),
    e.sdk ?? null,
    receivedAt,
  );
}

function toRecord(r: EventRow): EventRecord {
  const e: EventRecord = {
    seq: Number(r.seq),
    eventId: r.event_id,
    ts: Number(r.ts),
    agentName: r.agent_name,
    action: r.action as SudoAction,
    allowed: Number(r.allowed) === 1,
    receivedAt: Number(r.received_at),
  };
  if (r.agent_id != null) e.agentId = r.agent_id;
  if (r.role != null) e.role = r.role;
  if (r.session_id != null) e.sessionId = r.session_id;
  if (r.scope != null) e.scope = r.scope;
  if (r.function_name != null) e.functionName = r.function_name;
  if (r.metadata != null) e.metadata = JSON.parse(r.metadata) as Record<string, unknown>;
  if (r.sdk != null) e.sdk = r.sdk;
  return e;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The WHERE clause of a filter; values always travel as parameters, never as SQL text. */
function filterSql(projectId: string, f: EventFilter): { sql: string; params: unknown[] } {
  const parts = ['project_id = ?'];
  const params: unknown[] = [projectId];
  const add = (sql: string, value: unknown) => {
    parts.push(sql);
    params.push(value);
  };
  if (f.agent !== undefined) add('agent_name = ?', f.agent);
  if (f.scope !== undefined) {
    if (f.scope.includes('*')) add("scope LIKE ? ESCAPE '\\'", escapeLike(f.scope).replace(/\*/g, '%'));
    else add('scope = ?', f.scope);
  }
  if (f.allowed !== undefined) add('allowed = ?', f.allowed ? 1 : 0);
  if (f.outcome !== undefined) parts.push(OUTCOME_SQL[f.outcome]);
  if (f.action !== undefined) add('action = ?', f.action);
  if (f.functionName !== undefined) add('function_name = ?', f.functionName);
  if (f.sessionId !== undefined) add('session_id = ?', f.sessionId);
  if (f.search !== undefined) {
    const like = `%${escapeLike(f.search.toLowerCase())}%`;
    parts.push(`(${SEARCH_COLUMNS.map((c) => `LOWER(${c}) LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    params.push(...SEARCH_COLUMNS.map(() => like));
  }
  if (f.from !== undefined) add('ts >= ?', f.from);
  if (f.to !== undefined) add('ts < ?', f.to);
  return { sql: parts.join(' AND '), params };
}

/** Whole hours read from the rollups, partial hours at either edge read from events. */
function rollupRanges(
  from: number,
  to: number,
): { fromHour: number; toHour: number; edges: Array<[number, number]> } {
  const fromHour = Math.ceil(from / HOUR_US);
  const toHour = Math.floor(to / HOUR_US);
  if (fromHour >= toHour) return { fromHour: 0, toHour: 0, edges: [[from, to]] };
  const edges: Array<[number, number]> = [];
  if (fromHour * HOUR_US > from) edges.push([from, fromHour * HOUR_US]);
  if (toHour * HOUR_US < to) edges.push([toHour * HOUR_US, to]);
  return { fromHour, toHour, edges };
}

/** A row of summed outcomes: allowed (a), denied (d) and audit (u) checks. */
interface CountRow {
  a: number | string | null;
  d: number | string | null;
  u: number | string | null;
}

/** The counts of a row (PostgreSQL sums arrive as strings); no row counts nothing. */
function countsOf(r: CountRow | undefined): Counts {
  const allowed = Number(r?.a ?? 0);
  const denied = Number(r?.d ?? 0);
  const audit = Number(r?.u ?? 0);
  return { events: allowed + denied + audit, allowed, denied, audit };
}

/** The notification that keys changed; never a project payload (those hold a `|`). */
const KEYS_CHANGED = 'keys';

/** One event's outcome as the columns a, d, u (1 or 0), shaped like a rollup row. */
const OUTCOME_COUNTS = `${countOf('allowed')} AS a, ${countOf('denied')} AS d, ${countOf('audit')} AS u`;
/** The same, summed over a group. */
const OUTCOME_SUMS = `SUM(${countOf('allowed')}) AS a, SUM(${countOf('denied')}) AS d, SUM(${countOf('audit')}) AS u`;

/**
 * Adds a batch's newly stored events to the hourly and per-agent rollups, each counted by
 * its outcome (`outcomeOf`): an audit-mode violation is neither allowed nor denied.
 */
async function updateRollups(tx: SqlExecutor, projectId: string, events: EventRecord[]): Promise<void> {
  if (!events.length) return;
  /** [hour, agent, allowed, denied, audit] */
  const agentHours = new Map<string, [number, string, number, number, number]>();
  /** [hour, scope, n] per outcome that has a top-scopes list. */
  const scopeHours = {
    denied: new Map<string, [number, string, number]>(),
    audit: new Map<string, [number, string, number]>(),
  };
  /** [agent, scope, first, last, n, denied, audit] */
  const agentScopes = new Map<string, [string, string, number, number, number, number, number]>();
  const column = { allowed: 2, denied: 3, audit: 4 } as const;
  for (const e of events) {
    const hour = Math.floor(e.ts / HOUR_US);
    const outcome = outcomeOf(e.action, e.allowed);
    if (outcome !== 'info') {
      const ah = `${hour}\u0000${e.agentName}`;
      const a = agentHours.get(ah) ?? agentHours.set(ah, [hour, e.agentName, 0, 0, 0]).get(ah)!;
      a[column[outcome]]++;
      if (outcome !== 'allowed' && e.scope !== undefined) {
        const hs = scopeHours[outcome];
        const key = `${hour}\u0000${e.scope}`;
        const d = hs.get(key) ?? hs.set(key, [hour, e.scope, 0]).get(key)!;
        d[2]++;
      }
    }
    const scope = e.scope ?? '';
    const as = `${e.agentName}\u0000${scope}`;
    const s = agentScopes.get(as) ?? agentScopes.set(as, [e.agentName, scope, e.ts, e.ts, 0, 0, 0]).get(as)!;
    s[2] = Math.min(s[2], e.ts);
    s[3] = Math.max(s[3], e.ts);
    s[4]++;
    if (outcome === 'denied') s[5]++;
    if (outcome === 'audit') s[6]++;
  }
  // Sorted keys: concurrent PostgreSQL transactions lock rollup rows in the same order.
  const sorted = <T>(m: Map<string, T>) =>
    [...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, v]) => v);
  const ahRows = sorted(agentHours);
  if (ahRows.length)
    await tx.run(
      `INSERT INTO hourly_agent_counts (project_id, hour, agent_name, allowed_n, denied_n, audit_n) VALUES ${placeholders(ahRows.length, 6)}
     ON CONFLICT (project_id, hour, agent_name) DO UPDATE SET
       allowed_n = hourly_agent_counts.allowed_n + excluded.allowed_n,
       denied_n = hourly_agent_counts.denied_n + excluded.denied_n,
       audit_n = hourly_agent_counts.audit_n + excluded.audit_n`,
      ahRows.flatMap((r) => [projectId, ...r]),
    );
  for (const [table, rows] of [
    ['hourly_denied_scopes', sorted(scopeHours.denied)],
    ['hourly_audit_scopes', sorted(scopeHours.audit)],
  ] as const) {
    if (!rows.length) continue;
    await tx.run(
      `INSERT INTO ${table} (project_id, hour, scope, n) VALUES ${placeholders(rows.length, 4)}
       ON CONFLICT (project_id, hour, scope) DO UPDATE SET n = ${table}.n + excluded.n`,
      rows.flatMap((r) => [projectId, ...r]),
    );
  }
  const asRows = sorted(agentScopes);
  await tx.run(
    `INSERT INTO agent_scopes (project_id, agent_name, scope, first_seen, last_seen, n, denied_n, audit_n) VALUES ${placeholders(asRows.length, 8)}
     ON CONFLICT (project_id, agent_name, scope) DO UPDATE SET
       first_seen = CASE WHEN excluded.first_seen < agent_scopes.first_seen THEN excluded.first_seen ELSE agent_scopes.first_seen END,
       last_seen = CASE WHEN excluded.last_seen > agent_scopes.last_seen THEN excluded.last_seen ELSE agent_scopes.last_seen END,
       n = agent_scopes.n + excluded.n,
       denied_n = agent_scopes.denied_n + excluded.denied_n,
       audit_n = agent_scopes.audit_n + excluded.audit_n`,
    asRows.flatMap((r) => [projectId, ...r]),
  );
}

/** `project|a-b,c,d-e` naming the stored seqs as runs, split to fit NOTIFY's payload limit. */
function notifyPayloads(projectId: string, events: EventRecord[]): string[] {
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
