import type { Accounts } from '../storage/accounts';
import { KEY_CACHE_MS, type Access, type Credential } from './access';

/**
 * How often open streams' credentials are re-checked: a revoked token, a logout or an
 * expired login ends its streams within this long (plus one query).
 *
 * @example
 * ```ts
 * new CredentialWatch(access, storage.accounts, { intervalMs: CREDENTIAL_CHECK_MS });
 * ```
 */
export const CREDENTIAL_CHECK_MS = 500;

/**
 * Why a watched credential stopped counting, with what the client should do.
 *
 * @example
 * ```ts
 * const end: CredentialEnd = { reason: 'token_revoked', message: 'The read token was revoked; …' };
 * ```
 */
export interface CredentialEnd {
  reason: 'token_revoked' | 'session_ended';
  message: string;
}

const TOKEN_REVOKED: CredentialEnd = {
  reason: 'token_revoked',
  message: 'The read token was revoked; reconnect with a live token (agentsudo-server token create).',
};
const KEY_REVOKED: CredentialEnd = {
  reason: 'token_revoked',
  message: "The API key was revoked; reconnect with the project's current key.",
};
const SESSION_ENDED: CredentialEnd = {
  reason: 'session_ended',
  message: 'The login session ended (logged out or expired); log in again to follow the feed.',
};

/**
 * `keysVersion`: the storage's keys version when the credential was last found valid;
 * `checkedAt`: when that was (epoch ms).
 */
type Watcher = {
  credential: Credential;
  onEnd: (end: CredentialEnd) => void;
  keysVersion: number;
  checkedAt: number;
};

/**
 * Ends what a credential opened (live feeds, approval streams) once the credential stops
 * counting: a read token or ingest key revoked anywhere (this instance, another one on the same database, the CLI), a
 * login session logged out or expired.
 *
 * One timer serves every watcher. A token is looked up again (each distinct token once)
 * as soon as `accounts.keysVersion()` moved (read without I/O) since it was last found
 * valid, and in any case every `KEY_CACHE_MS` (10 s): a change notice from another
 * instance can be lost (PostgreSQL LISTEN down), and a revoked token's feed must still
 * end, within about twice that at worst. All watched login sessions are checked in one
 * query per tick (logouts on other instances leave no other trace). The timer runs only
 * while something is watched.
 *
 * @example
 * ```ts
 * const watch = new CredentialWatch(access, storage.accounts, { onError: (err) => log.warn({ err }) });
 * const keysVersion = storage.accounts.keysVersion(); // before the credential is checked
 * const { credential } = await access.authenticate(request);
 * const unwatch = watch.watch(credential, keysVersion, (end) => stream.close(end.message));
 * // … when the stream closes by itself:
 * unwatch();
 * ```
 */
export class CredentialWatch {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  private readonly intervalMs: number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly access: Access,
    private readonly accounts: Pick<Accounts, 'keysVersion' | 'liveLoginSessions'>,
    options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.intervalMs = options.intervalMs ?? CREDENTIAL_CHECK_MS;
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Calls `onEnd` once if the credential stops counting; returns the function that stops
   * watching. `keysVersion` is `accounts.keysVersion()` read before the credential was
   * checked, so a key change landing between that check and this call is not missed.
   */
  watch(credential: Credential, keysVersion: number, onEnd: (end: CredentialEnd) => void): () => void {
    const watcher: Watcher = { credential, onEnd, keysVersion, checkedAt: Date.now() };
    if (this.watchers.size === 0) {
      this.timer = setInterval(() => void this.check(), this.intervalMs);
      this.timer.unref();
    }
    this.watchers.add(watcher);
    return () => this.unwatch(watcher);
  }

  /** Stops every watch (server shutdown). */
  stop(): void {
    this.watchers.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private unwatch(watcher: Watcher): void {
    if (!this.watchers.delete(watcher) || this.watchers.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    // A slow database must not pile up checks: the next tick waits for this one.
    if (this.checking) return;
    this.checking = true;
    try {
      await this.checkTokens();
      await this.checkSessions();
    } catch (err) {
      // The database is unreachable: the next tick tries again (new reads are refused
      // meanwhile, since their credential cannot be checked either).
      this.onError(err);
    } finally {
      this.checking = false;
    }
  }

  private async checkTokens(): Promise<void> {
    // Read before the lookups: a change landing during them is checked on the next tick.
    const version = this.accounts.keysVersion();
    const now = Date.now();
    const due = (w: Watcher) => w.keysVersion !== version || now - w.checkedAt >= KEY_CACHE_MS;
    const byKey = this.group((w) =>
      w.credential.kind !== 'session' && due(w) ? `${w.credential.kind}:${w.credential.key}` : undefined,
    );
    for (const [kindAndKey, watchers] of byKey) {
      const ingest = kindAndKey.startsWith('ingest:');
      const key = kindAndKey.slice(kindAndKey.indexOf(':') + 1);
      // A cached answer is at most KEY_CACHE_MS old as well: hence "about twice" above.
      const live = ingest ? await this.access.ingestKeyIsLive(key) : await this.access.readTokenIsLive(key);
      if (!live) this.end(watchers, ingest ? KEY_REVOKED : TOKEN_REVOKED);
      else
        for (const w of watchers) {
          w.keysVersion = version;
          w.checkedAt = now;
        }
    }
  }

  private async checkSessions(): Promise<void> {
    const byHash = this.group((w) => (w.credential.kind === 'session' ? w.credential.tokenHash : undefined));
    if (byHash.size === 0) return;
    const live = await this.accounts.liveLoginSessions([...byHash.keys()], Date.now());
    for (const [hash, watchers] of byHash) if (!live.has(hash)) this.end(watchers, SESSION_ENDED);
  }

  /** The watchers grouped by what `keyOf` picks of them (those it picks nothing of left out). */
  private group(keyOf: (w: Watcher) => string | undefined): Map<string, Watcher[]> {
    const groups = new Map<string, Watcher[]>();
    for (const w of this.watchers) {
      const key = keyOf(w);
      if (key === undefined) continue;
      const list = groups.get(key);
      if (list) list.push(w);
      else groups.set(key, [w]);
    }
    return groups;
  }

  private end(watchers: readonly Watcher[], end: CredentialEnd): void {
    for (const w of watchers) {
      if (!this.watchers.has(w)) continue;
      this.unwatch(w);
      w.onEnd(end);
    }
  }
}
