import { sql, type Kysely, type Selectable } from 'kysely';
import type { SqlDriver, SqlExecutor } from './driver';
import { KEYS_CHANGED } from './notifications';
import { execute, fetchAll, fetchFirst, queryBuilder, reusableQuery } from './query-layer';
import type { KeyRecord, ProjectRecord, UserRecord } from './records';
import type { ApiKeysTable, Database, UsersTable } from './schema';
import { escapeLike } from './sql-text';

/*
 * Written with the typed query layer throughout. The key lookup by hash, run on every
 * request whose key is not cached, is compiled once (reusableQuery); the rest is built per
 * call, which costs microseconds next to the round trip (bench/results/query-layer.json).
 * The prefix search keeps LIKE … ESCAPE in the sql tag: the builder has no ESCAPE clause.
 */

/** Live login sessions checked per statement: SQLite caps the parameters of one. */
const SESSION_SLICE = 500;

/**
 * Who may do what: projects, their API keys (ingest keys and read tokens), dashboard users
 * and their login sessions. Key changes are counted ({@link Accounts.keysVersion}) so key
 * caches on every instance can tell when to look keys up again.
 *
 * @example
 * ```ts
 * const accounts = new Accounts(driver);
 * await accounts.createProject({ id: 'prj_1', name: 'checkout', createdAt: Date.now() });
 * const key = await accounts.findKeyByHash(hashKey(presented));
 * ```
 */
export class Accounts {
  /** Key changes made through this storage or announced by other instances. */
  private keyChanges = 0;
  private readonly db: Kysely<Database>;
  private readonly keyByHash: ReturnType<typeof keyByHashQuery>;

  constructor(private readonly driver: SqlDriver) {
    this.db = queryBuilder(driver.dialect);
    this.keyByHash = keyByHashQuery(this.db);
  }

  async createProject(p: ProjectRecord): Promise<void> {
    await execute(
      this.driver,
      this.db.insertInto('projects').values({ id: p.id, name: p.name, created_at: p.createdAt }),
    );
  }

  async listProjects(): Promise<ProjectRecord[]> {
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('projects')
        .select(['id', 'name', 'created_at'])
        .orderBy('created_at')
        .orderBy('name'),
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at) }));
  }

  /** By id or, failing that, by name. */
  async findProject(idOrName: string): Promise<ProjectRecord | undefined> {
    const r = await fetchFirst(
      this.driver,
      this.db
        .selectFrom('projects')
        .select(['id', 'name', 'created_at'])
        .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
        .orderBy((eb) => eb.case().when('id', '=', idOrName).then(0).else(1).end())
        .limit(1),
    );
    return r && { id: r.id, name: r.name, createdAt: Number(r.created_at) };
  }

  async insertKey(k: KeyRecord): Promise<void> {
    await this.changeKeys((tx) =>
      execute(tx, this.db.insertInto('api_keys').values(keyRow(k, k.revokedAt ?? null))),
    );
  }

  /**
   * A number that changes whenever API keys may have changed, through this storage, another
   * instance or another process (the CLI); read without I/O, so key caches can check it on
   * every request.
   */
  keysVersion(): number {
    return this.keyChanges + (this.driver.externalCommits?.() ?? 0);
  }

  /**
   * Keys may have changed where this instance could not see it (another instance announced
   * it, or its announcements were missed): moves {@link keysVersion}.
   */
  keysMayHaveChanged(): void {
    this.keyChanges++;
  }

  async findKeyByHash(keyHash: string): Promise<KeyRecord | undefined> {
    const row = await fetchFirst(this.driver, this.keyByHash(keyHash));
    return row && toKey(row);
  }

  /** Every key, or a project's, oldest first. */
  async listKeys(projectId?: string): Promise<KeyRecord[]> {
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('api_keys')
        .selectAll()
        .$if(projectId !== undefined, (q) => q.where('project_id', '=', projectId!))
        .orderBy('created_at'),
    );
    return rows.map(toKey);
  }

  /** Keys whose prefix starts with `prefix`. */
  async findKeysByPrefix(prefix: string): Promise<KeyRecord[]> {
    const rows = await fetchAll(
      this.driver,
      this.db
        .selectFrom('api_keys')
        .selectAll()
        .where(sql<boolean>`prefix LIKE ${`${escapeLike(prefix)}%`} ESCAPE '\\'`)
        .orderBy('created_at'),
    );
    return rows.map(toKey);
  }

  async revokeKey(id: string, at: number): Promise<void> {
    await this.changeKeys((tx) =>
      execute(
        tx,
        this.db
          .updateTable('api_keys')
          .set({ revoked_at: at })
          .where('id', '=', id)
          .where('revoked_at', 'is', null),
      ),
    );
  }

  /**
   * Stores `key` (an ingest key) and revokes, at `at`, every other active ingest key of its
   * project, in one transaction that concurrent rotations take turns on. Returns the
   * revoked keys' prefixes.
   */
  async rotateIngestKey(k: KeyRecord, at: number): Promise<string[]> {
    return this.changeKeys(async (tx) => {
      // Rotations of one project take turns on its row (SQLite's BEGIN IMMEDIATE already
      // serialises every write): each revokes exactly the keys active when it runs, so
      // concurrent rotations leave one active key, not one each.
      await fetchAll(
        tx,
        this.db
          .selectFrom('projects')
          .select('id')
          .where('id', '=', k.projectId)
          .$if(this.driver.dialect === 'postgres', (q) => q.forUpdate()),
      );
      const revoked = await fetchAll(
        tx,
        this.db
          .updateTable('api_keys')
          .set({ revoked_at: at })
          .where('project_id', '=', k.projectId)
          .where('kind', '=', 'ingest')
          .where('revoked_at', 'is', null)
          .returning('prefix'),
      );
      await execute(tx, this.db.insertInto('api_keys').values(keyRow(k, null)));
      return revoked.map((r) => r.prefix);
    });
  }

  async createUser(u: UserRecord): Promise<void> {
    await execute(
      this.driver,
      this.db
        .insertInto('users')
        .values({ id: u.id, email: u.email, password_hash: u.passwordHash, created_at: u.createdAt }),
    );
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await fetchFirst(
      this.driver,
      this.db.selectFrom('users').selectAll().where('email', '=', email),
    );
    return row && toUser(row);
  }

  async findUserById(id: string): Promise<UserRecord | undefined> {
    const row = await fetchFirst(this.driver, this.db.selectFrom('users').selectAll().where('id', '=', id));
    return row && toUser(row);
  }

  /** Every dashboard user, oldest first. */
  async listUsers(): Promise<UserRecord[]> {
    const rows = await fetchAll(
      this.driver,
      this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('email'),
    );
    return rows.map(toUser);
  }

  /**
   * Deletes a user and ends their login sessions, unless they are the only user: in one
   * transaction that other deletions take turns on, so two deletions at once cannot remove
   * the last two users.
   */
  async deleteUser(id: string): Promise<'deleted' | 'only-user' | 'not-found'> {
    return this.driver.transaction(async (tx) => {
      // Deletions take turns (SQLite's write transactions already do), so each counts the
      // users that the one before it left.
      await this.driver.lockInTransaction?.(tx, 'users:delete');
      const row = await fetchFirst(
        tx,
        this.db
          .selectFrom('users')
          .select((eb) => [
            eb.fn.countAll().as('n'),
            eb.fn.sum(eb.case().when('id', '=', id).then(1).else(0).end()).as('found'),
          ]),
      );
      if (!Number(row?.found)) return 'not-found';
      if (Number(row!.n) <= 1) return 'only-user';
      await execute(tx, this.db.deleteFrom('login_sessions').where('user_id', '=', id));
      await execute(tx, this.db.deleteFrom('users').where('id', '=', id));
      return 'deleted';
    });
  }

  /** Sets a user's password hash and ends their login sessions; false when no such user. */
  async setUserPassword(id: string, passwordHash: string): Promise<boolean> {
    return this.driver.transaction(async (tx) => {
      const changed = await execute(
        tx,
        this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id),
      );
      // Whoever was logged in with the old password is logged out.
      if (changed) await execute(tx, this.db.deleteFrom('login_sessions').where('user_id', '=', id));
      return changed > 0;
    });
  }

  /**
   * Starts a login session for the user, only if `verifiedHash` (the password hash the
   * login checked) is still theirs: a password reset that commits while a login is checking
   * the old password must not leave that login a session. The user's row is read under a
   * lock (PostgreSQL; SQLite's write transactions run one at a time), so a reset either
   * commits first and is seen here, or waits and then deletes this session. False when the
   * password changed (or the user is gone).
   */
  async createLoginSession(
    tokenHash: string,
    userId: string,
    expiresAt: number,
    verifiedHash: string,
  ): Promise<boolean> {
    const now = Date.now();
    return this.driver.transaction(async (tx) => {
      const current = await fetchFirst(
        tx,
        this.db
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', userId)
          .$if(this.driver.dialect === 'postgres', (q) => q.forShare()),
      );
      if (current?.password_hash !== verifiedHash) return false;
      // Expired sessions are swept here so the table never grows without bound.
      await execute(tx, this.db.deleteFrom('login_sessions').where('expires_at', '<', now));
      await execute(
        tx,
        this.db
          .insertInto('login_sessions')
          .values({ token_hash: tokenHash, user_id: userId, created_at: now, expires_at: expiresAt }),
      );
      return true;
    });
  }

  /** The user of a live (unexpired) session. */
  async findLoginSession(tokenHash: string, now: number): Promise<UserRecord | undefined> {
    const row = await fetchFirst(
      this.driver,
      this.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', (eb) =>
          eb
            .selectFrom('login_sessions')
            .select('user_id')
            .where('token_hash', '=', tokenHash)
            .where('expires_at', '>', now),
        ),
    );
    return row && toUser(row);
  }

  async deleteLoginSession(tokenHash: string): Promise<void> {
    await execute(this.driver, this.db.deleteFrom('login_sessions').where('token_hash', '=', tokenHash));
  }

  /**
   * Which of these sessions are still live (not logged out, not expired) at `now`: one
   * query for any number of them, so open live feeds can re-check their logins cheaply.
   */
  async liveLoginSessions(tokenHashes: readonly string[], now: number): Promise<Set<string>> {
    const live = new Set<string>();
    for (let i = 0; i < tokenHashes.length; i += SESSION_SLICE) {
      const rows = await fetchAll(
        this.driver,
        this.db
          .selectFrom('login_sessions')
          .select('token_hash')
          .where('token_hash', 'in', tokenHashes.slice(i, i + SESSION_SLICE))
          .where('expires_at', '>', now),
      );
      for (const r of rows) live.add(r.token_hash);
    }
    return live;
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
}

/** The key lookup by hash, compiled once: it runs for every request whose key is not cached. */
function keyByHashQuery(db: Kysely<Database>) {
  return reusableQuery((keyHash: string) =>
    db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).orderBy('created_at'),
  );
}

function keyRow(k: KeyRecord, revokedAt: number | null): Selectable<ApiKeysTable> {
  return {
    id: k.id,
    project_id: k.projectId,
    kind: k.kind,
    prefix: k.prefix,
    key_hash: k.keyHash,
    created_at: k.createdAt,
    revoked_at: revokedAt,
  };
}

function toKey(r: Selectable<ApiKeysTable>): KeyRecord {
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
}

function toUser(r: Selectable<UsersTable>): UserRecord {
  return { id: r.id, email: r.email, passwordHash: r.password_hash, createdAt: Number(r.created_at) };
}
