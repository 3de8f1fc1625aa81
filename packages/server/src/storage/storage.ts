import type {
  AgentSummary,
  Bucket,
  EventCursor,
  EventFilter,
  EventPage,
  EventRecord,
  InsertResult,
  KeyRecord,
  LoginAttemptCount,
  ProjectRecord,
  Stats,
  UserRecord,
} from './records';

/**
 * Everything the server keeps, behind one interface with a SQLite and a PostgreSQL
 * implementation that share migrations and SQL.
 *
 * @example
 * ```ts
 * const storage = await openStorage({ db: './agentsudo.db' });
 * await storage.insertEvents(project.id, records);
 * await storage.close();
 * ```
 */
export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';

  createProject(project: ProjectRecord): Promise<void>;
  listProjects(): Promise<ProjectRecord[]>;
  /** By id or, failing that, by name. */
  findProject(idOrName: string): Promise<ProjectRecord | undefined>;

  insertKey(key: KeyRecord): Promise<void>;
  findKeyByHash(keyHash: string): Promise<KeyRecord | undefined>;
  listKeys(projectId?: string): Promise<KeyRecord[]>;
  /**
   * A number that changes whenever API keys may have changed, through this storage, another
   * instance or another process (the CLI); read without I/O, so key caches can check it on
   * every request.
   */
  keysVersion(): number;
  /** Keys whose prefix starts with `prefix`. */
  findKeysByPrefix(prefix: string): Promise<KeyRecord[]>;
  revokeKey(id: string, at: number): Promise<void>;
  /**
   * Stores `key` (an ingest key) and revokes, at `at`, every other active ingest key of its
   * project, in one transaction that concurrent rotations take turns on. Returns the
   * revoked keys' prefixes.
   */
  rotateIngestKey(key: KeyRecord, at: number): Promise<string[]>;

  createUser(user: UserRecord): Promise<void>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  findUserById(id: string): Promise<UserRecord | undefined>;
  /** Every dashboard user, oldest first. */
  listUsers(): Promise<UserRecord[]>;
  /**
   * Deletes a user and ends their login sessions, unless they are the only user: in one
   * transaction that other deletions take turns on, so two deletions at once cannot remove
   * the last two users.
   */
  deleteUser(id: string): Promise<'deleted' | 'only-user' | 'not-found'>;
  /** Sets a user's password hash and ends their login sessions; false when no such user. */
  setUserPassword(id: string, passwordHash: string): Promise<boolean>;
  createLoginSession(tokenHash: string, userId: string, expiresAt: number): Promise<void>;
  /** The user of a live (unexpired) session. */
  findLoginSession(tokenHash: string, now: number): Promise<UserRecord | undefined>;
  deleteLoginSession(tokenHash: string): Promise<void>;
  /**
   * Which of these sessions are still live (not logged out, not expired) at `now`: one
   * query for any number of them, so open live feeds can re-check their logins cheaply.
   */
  liveLoginSessions(tokenHashes: readonly string[], now: number): Promise<Set<string>>;

  /**
   * Records one login attempt under each of `keys` (a client address, an email) at `at`
   * (ms), sweeping every attempt up to `since`, and returns per key the attempts after
   * `since`, this one included, with the time of the oldest.
   */
  recordLoginAttempt(
    attemptId: string,
    keys: readonly string[],
    at: number,
    since: number,
  ): Promise<LoginAttemptCount[]>;
  /** Forgets one attempt (refused before its password was checked). */
  deleteLoginAttempt(attemptId: string): Promise<void>;
  /**
   * Forgets every attempt under these keys (after a successful login, or to lift a
   * lockout), or every attempt under any key for `'all'`; returns how many rows went.
   */
  clearLoginAttempts(keys: readonly string[] | 'all'): Promise<number>;
  /** Per key, the attempts after `since` and the time of the oldest (lockouts to show). */
  countLoginAttempts(since: number): Promise<LoginAttemptCount[]>;

  /**
   * Stores a batch in one transaction. An event whose id is already in the project (a
   * retried delivery) is a duplicate and is not stored again.
   */
  insertEvents(projectId: string, events: readonly EventRecord[]): Promise<InsertResult>;
  listEvents(
    projectId: string,
    filter: EventFilter,
    page: { limit: number; before?: EventCursor },
  ): Promise<EventPage>;
  /** One event of a project by its id, or undefined when the project has no such event. */
  getEvent(projectId: string, eventId: string): Promise<EventRecord | undefined>;
  /**
   * What a reconnecting live client missed: the newest `limit` matching events stored after
   * `afterSeq`, in the order they were stored. `skipped` says older ones did not fit.
   */
  eventsStoredAfter(
    projectId: string,
    filter: EventFilter,
    afterSeq: number,
    limit: number,
  ): Promise<{ events: EventRecord[]; skipped: boolean }>;
  /** Every matching event, oldest first, read a page at a time (memory stays bounded). */
  streamEvents(projectId: string, filter: EventFilter, pageSize?: number): AsyncIterable<EventRecord>;
  stats(projectId: string, range: { from: number; to: number; bucket: Bucket }): Promise<Stats>;
  agents(projectId: string): Promise<AgentSummary[]>;
  /** Deletes events (and their rollups) from before `hour` (whole hours since the epoch). */
  deleteBefore(hour: number): Promise<number>;

  /**
   * Calls listener with each batch a project stores from now on, on this instance or (on
   * PostgreSQL) on any instance sharing the database. Returns the unsubscribe function.
   */
  subscribe(projectId: string, listener: (events: EventRecord[]) => void): () => void;

  close(): Promise<void>;
}
