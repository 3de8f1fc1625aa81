import type { ServerResponse } from 'node:http';
import { InvalidInputError } from '../errors';
import { ApiError } from './api-error';

/**
 * How many live feeds one instance serves: in all, per project and per credential (a read
 * token, or a dashboard user across their sessions), so one tenant cannot take every slot.
 *
 * @example
 * ```ts
 * const limits: LiveLimits = { total: 1000, perProject: 100, perCredential: 10 };
 * ```
 */
export interface LiveLimits {
  total: number;
  perProject: number;
  perCredential: number;
}

/**
 * The defaults of {@link LiveLimits}: 1,000 feeds per instance, 100 per project, 10 per
 * credential (a browser tab or a script each; browsers open at most 6 connections per
 * server over HTTP/1.1 anyway).
 *
 * @example
 * ```ts
 * new LiveConnections({ ...DEFAULT_LIVE_LIMITS, perProject: 250 });
 * ```
 */
export const DEFAULT_LIVE_LIMITS: Readonly<LiveLimits> = Object.freeze({
  total: 1000,
  perProject: 100,
  perCredential: 10,
});

/** Asked to come back after this long when a cap is hit (seconds). */
const RETRY_AFTER_S = 30;

/**
 * A live feed refused because a cap is full: 503 for the instance's total (retry later or
 * elsewhere), 429 for a project's or a credential's share (close some of its feeds).
 * `limit` names the cap and `max` its value.
 *
 * @example
 * ```ts
 * if (err instanceof LiveLimitError) reply.header('retry-after', String(err.retryAfterSeconds));
 * ```
 */
export class LiveLimitError extends ApiError {
  readonly retryAfterSeconds = RETRY_AFTER_S;
  constructor(
    readonly limit: keyof LiveLimits,
    readonly max: number,
    message: string,
  ) {
    super(
      limit === 'total' ? 503 : 429,
      limit === 'total'
        ? 'too_many_live_clients'
        : limit === 'perProject'
          ? 'too_many_live_clients_for_project'
          : 'too_many_live_clients_for_credential',
      message,
    );
  }
}

/**
 * Checks {@link LiveLimits} set by a user: each a whole number of at least 1.
 *
 * @example
 * ```ts
 * liveLimits({ perCredential: 0 }); // throws InvalidInputError naming maxLiveClientsPerCredential
 * ```
 */
export function liveLimits(options: {
  total?: number;
  perProject?: number;
  perCredential?: number;
}): LiveLimits {
  const pick = (value: number | undefined, fallback: number, field: string) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidInputError(field, value, 'give a whole number of live clients, at least 1');
    return value;
  };
  return {
    total: pick(options.total, DEFAULT_LIVE_LIMITS.total, 'maxLiveClients'),
    perProject: pick(options.perProject, DEFAULT_LIVE_LIMITS.perProject, 'maxLiveClientsPerProject'),
    perCredential: pick(
      options.perCredential,
      DEFAULT_LIVE_LIMITS.perCredential,
      'maxLiveClientsPerCredential',
    ),
  };
}

/**
 * The live feed's open connections, counted per project and per credential owner against
 * {@link LiveLimits}, and ended on shutdown so `close()` does not wait on them.
 *
 * @example
 * ```ts
 * const live = new LiveConnections(DEFAULT_LIVE_LIMITS);
 * live.admit(projectId, 'token:key_1'); // throws LiveLimitError when a cap is full
 * res.on('close', live.add(res, projectId, 'token:key_1'));
 * app.addHook('preClose', async () => live.endAll());
 * ```
 */
export class LiveConnections {
  private readonly connections = new Set<ServerResponse>();
  private readonly perProject = new Map<string, number>();
  private readonly perOwner = new Map<string, number>();

  constructor(readonly limits: LiveLimits) {}

  get size(): number {
    return this.connections.size;
  }

  /**
   * Throws {@link LiveLimitError} when the owner's, the project's or the instance's cap is
   * full (the narrowest first, so a tenant over its share learns that, not "server full").
   */
  admit(projectId: string, owner: string): void {
    const { limits } = this;
    if ((this.perOwner.get(owner) ?? 0) >= limits.perCredential)
      throw new LiveLimitError(
        'perCredential',
        limits.perCredential,
        `This credential already has ${limits.perCredential} live feeds open on this server ` +
          `(maxLiveClientsPerCredential, --max-live-per-credential); close one (another tab or script) ` +
          'and retry, or raise the limit.',
      );
    if ((this.perProject.get(projectId) ?? 0) >= limits.perProject)
      throw new LiveLimitError(
        'perProject',
        limits.perProject,
        `Project ${projectId} already has ${limits.perProject} live feeds open on this server ` +
          '(maxLiveClientsPerProject, --max-live-per-project); close some and retry, or raise the limit.',
      );
    if (this.connections.size >= limits.total)
      throw new LiveLimitError(
        'total',
        limits.total,
        `This server serves its maximum of ${limits.total} live clients (maxLiveClients, ` +
          '--max-live-clients); retry later, or raise the limit or add an instance.',
      );
  }

  /**
   * Counts an admitted connection (call {@link admit} first, in the same tick); returns the
   * function that releases its slots, which is safe to call more than once.
   */
  add(res: ServerResponse, projectId: string, owner: string): () => void {
    this.connections.add(res);
    bump(this.perProject, projectId, 1);
    bump(this.perOwner, owner, 1);
    return () => {
      if (!this.connections.delete(res)) return;
      bump(this.perProject, projectId, -1);
      bump(this.perOwner, owner, -1);
    };
  }

  endAll(): void {
    for (const res of this.connections) {
      if (res.headersSent) {
        res.end();
        continue;
      }
      // A long-poll still waiting: ended bare, it would read as a 200 with no answer. A 503
      // says "ask again", so a call waiting for approval outlives a server restart.
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' });
      res.end(
        JSON.stringify({
          error: 'server_closing',
          message: 'The server is shutting down; ask again in a moment (the request is kept).',
        }),
      );
    }
    this.connections.clear();
    this.perProject.clear();
    this.perOwner.clear();
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
