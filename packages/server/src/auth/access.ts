import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import type { KeyRecord, UserRecord } from '../storage/records';
import type { Accounts } from '../storage/accounts';
import { parseCookies } from './cookies';
import { hashKey } from './keys';

/**
 * Name of the dashboard session cookie.
 *
 * @example
 * ```ts
 * reply.header('set-cookie', serializeCookie(SESSION_COOKIE, token, { httpOnly: true }));
 * ```
 */
export const SESSION_COOKIE = 'agentsudo_session';

/**
 * Who is reading: a dashboard user (every project) or a read token (its project only).
 *
 * @example
 * ```ts
 * const reader = await access.reader(request);
 * if (reader.kind === 'user') console.log(reader.user.email);
 * ```
 */
export type Reader = { kind: 'user'; user: UserRecord } | { kind: 'token'; projectId: string };

/**
 * What a reader presented, kept by a long-lived response (the live feed) to check again
 * later: a login session (by its token's hash), a read token, or an ingest key (an SDK's
 * approval stream). `owner` names who holds it
 * (the user, whatever their session, or the token) for per-credential limits.
 *
 * @example
 * ```ts
 * const { reader, credential } = await access.authenticate(request);
 * if (credential.kind === 'token') console.log(credential.owner); // 'token:key_…'
 * ```
 */
export type Credential =
  | { kind: 'session'; tokenHash: string; owner: string }
  | { kind: 'token'; key: string; owner: string }
  | { kind: 'ingest'; key: string; owner: string };

/**
 * Presented keys are looked up again after this long at the latest, even when no key
 * change was announced (a change notice can be lost, e.g. while PostgreSQL LISTEN is down).
 *
 * @example
 * ```ts
 * setInterval(recheckTokens, KEY_CACHE_MS); // each answer is at most this old
 * ```
 */
export const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 1000;

/**
 * Authenticates requests: ingest keys for `POST /api/events`, session cookies and read
 * tokens for the read API. Keys are cached (a lookup per batch would cost a database round
 * trip) until the storage's keys version moves: a key created, rotated or revoked anywhere
 * (this instance, another one, the CLI) counts at once.
 *
 * @example
 * ```ts
 * const projectId = await access.ingestProject(request); // 401 / 403 as ApiError otherwise
 * ```
 */
export class Access {
  private readonly cache = new Map<string, { key?: KeyRecord; until: number; version: number }>();

  constructor(
    private readonly accounts: Pick<
      Accounts,
      'findProject' | 'findLoginSession' | 'keysVersion' | 'findKeyByHash'
    >,
  ) {}

  /** The project an ingest key writes to. */
  async ingestProject(request: FastifyRequest): Promise<string> {
    return (await this.ingestCredential(request)).projectId;
  }

  /** The project of an ingest key and the credential, for a stream that re-checks it. */
  async ingestCredential(request: FastifyRequest): Promise<{ projectId: string; credential: Credential }> {
    const presented = presentedKey(request);
    if (!presented) {
      throw new ApiError(
        401,
        'missing_api_key',
        'Send the project API key in the X-API-Key header (or Authorization: Bearer).',
      );
    }
    const key = await this.lookup(presented);
    if (!key)
      throw new ApiError(
        401,
        'invalid_api_key',
        'Unknown or revoked API key; create one with agentsudo-server project create.',
      );
    if (key.kind !== 'ingest')
      throw new ApiError(
        403,
        'not_an_ingest_key',
        'A read token cannot write events; use the project API key (as_…).',
      );
    // Every ingest key of a project may do the same, so they share one owner for limits.
    return {
      projectId: key.projectId,
      credential: { kind: 'ingest', key: presented, owner: `ingest:${key.projectId}` },
    };
  }

  /** The reader of a read request: session cookie first, then a read token. */
  async reader(request: FastifyRequest): Promise<Reader> {
    return (await this.authenticate(request)).reader;
  }

  /** The reader of a read request and the credential it presented (see {@link Credential}). */
  async authenticate(request: FastifyRequest): Promise<{ reader: Reader; credential: Credential }> {
    const session = await this.session(request);
    if (session)
      return {
        reader: { kind: 'user', user: session.user },
        credential: { kind: 'session', tokenHash: session.tokenHash, owner: `user:${session.user.id}` },
      };
    const presented = presentedKey(request);
    if (!presented)
      throw new ApiError(
        401,
        'unauthenticated',
        'Log in (POST /api/auth/login) or send a read token as Authorization: Bearer asr_….',
      );
    const key = await this.lookup(presented);
    if (!key) throw new ApiError(401, 'invalid_token', 'Unknown or revoked token.');
    if (key.kind !== 'read')
      throw new ApiError(
        403,
        'not_a_read_token',
        'An ingest key cannot read events; create a read token with agentsudo-server token create.',
      );
    return {
      reader: { kind: 'token', projectId: key.projectId },
      credential: { kind: 'token', key: presented, owner: `token:${key.id}` },
    };
  }

  /** Whether a read token still reads (not revoked); free while no key changed anywhere. */
  async readTokenIsLive(key: string): Promise<boolean> {
    return (await this.lookup(key))?.kind === 'read';
  }

  /** Whether an ingest key is still valid (not revoked or rotated away). */
  async ingestKeyIsLive(key: string): Promise<boolean> {
    return (await this.lookup(key))?.kind === 'ingest';
  }

  /**
   * Throws 404 unless the reader may read this project (a token sees only its own). URLs
   * address a project by id only: findProject's name fallback would pass here and then match
   * no rows, an empty 200 for a project that has events.
   */
  async readableProject(reader: Reader, projectId: string): Promise<void> {
    const visible =
      reader.kind === 'user'
        ? (await this.accounts.findProject(projectId))?.id === projectId
        : reader.projectId === projectId;
    // 404 rather than 403: a token must not learn which other projects exist.
    if (!visible)
      throw new ApiError(
        404,
        'project_not_found',
        `No project ${JSON.stringify(projectId)} visible to you; address a project by its id (prj_…), as GET /api/projects lists them.`,
      );
  }

  /** The logged-in user of the session cookie, if the session is live. */
  async sessionUser(request: FastifyRequest): Promise<UserRecord | undefined> {
    return (await this.session(request))?.user;
  }

  private async session(
    request: FastifyRequest,
  ): Promise<{ tokenHash: string; user: UserRecord } | undefined> {
    const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    if (!token) return undefined;
    const tokenHash = hashKey(token);
    const user = await this.accounts.findLoginSession(tokenHash, Date.now());
    return user && { tokenHash, user };
  }

  private async lookup(presented: string): Promise<KeyRecord | undefined> {
    const now = Date.now();
    // Read before the lookup: a change landing during it leaves the entry already stale.
    const version = this.accounts.keysVersion();
    const hit = this.cache.get(presented);
    if (hit && hit.until > now && hit.version === version) return hit.key;
    const key = await this.accounts.findKeyByHash(hashKey(presented));
    const live = key && !key.revokedAt ? key : undefined;
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    this.cache.set(presented, { key: live, until: now + KEY_CACHE_MS, version });
    return live;
  }
}

/** `X-API-Key: k` or `Authorization: Bearer k`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const auth = request.headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return match?.[1];
}
