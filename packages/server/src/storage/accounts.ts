import type { SqlDriver, SqlExecutor } from './driver';
import { KEYS_CHANGED } from './notifications';
import type { KeyKind, KeyRecord, ProjectRecord, UserRecord } from './records';
import { escapeLike, placeholders } from './sql-text';

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

  constructor(private readonly driver: SqlDriver) {}

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

  /** By id or, failing that, by name. */
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
    return (await this.keys('WHERE key_hash = ?', [keyHash]))[0];
  }

  /** Every key, or a project's, oldest first. */
  listKeys(projectId?: string): Promise<KeyRecord[]> {
    return projectId ? this.keys('WHERE project_id = ?', [projectId]) : this.keys('', []);
  }

  /** Keys whose prefix starts with `prefix`. */
  findKeysByPrefix(prefix: string): Promise<KeyRecord[]> {
    return this.keys("WHERE prefix LIKE ? ESCAPE '\\'", [`${escapeLike(prefix)}%`]);
  }

  async revokeKey(id: string, at: number): Promise<void> {
    await this.changeKeys((tx) =>
      tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]),
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

  /** The user of a live (unexpired) session. */
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

  /**
   * Which of these sessions are still live (not logged out, not expired) at `now`: one
   * query for any number of them, so open live feeds can re-check their logins cheaply.
   */
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
