import type { AxiosInstance } from 'axios';
import type { IncomingMessage } from 'node:http';
import { SDK_NAME } from '@agentsudo/core';
import { networkStack } from './http-sender';

/**
 * An approval request as the server holds it (the fields the SDK reads).
 *
 * @example
 * ```ts
 * const a: Approval = { id: 'Zk3JtR0w8b1QxZ2FmYWtl', status: 'pending', expires_at: '2026-01-01T00:05:00.000Z' };
 * ```
 */
export interface Approval {
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  expires_at: string;
  decided_by?: string;
  reason?: string;
  /** Set when an active remembered grant approved it at once. */
  grant_id?: string;
  consumed_at?: string;
}

/**
 * A remembered grant: the agent may use `scope` until `expires_at` without asking again
 * (only with the same arguments when `args_digest` is set).
 *
 * @example
 * ```ts
 * const g: Grant = { id: 'g1', agent_name: 'RefundBot', scope: 'write:refunds', expires_at: '2026-01-01T01:00:00.000Z' };
 * ```
 */
export interface Grant {
  id: string;
  agent_id?: string;
  agent_name: string;
  scope: string;
  args_digest?: string;
  expires_at: string;
  revoked_at?: string;
}

/**
 * What binds an approval to one call: who, which scope and function, and the digest of
 * the arguments (never the arguments themselves).
 *
 * @example
 * ```ts
 * const b: CallBinding = { agent_name: 'RefundBot', scope: 'write:refunds', function_name: 'Payments.refund', args_digest: 'ab…' };
 * ```
 */
export interface CallBinding {
  agent_name: string;
  agent_id?: string;
  scope: string;
  function_name: string;
  args_digest: string;
}

/**
 * A request to the approvals API failed: `status` is the HTTP status when the server
 * answered (undefined when it could not be reached), `code` its `error` field.
 *
 * @example
 * ```ts
 * if (err instanceof ApprovalServerError && err.status === undefined) console.log('server unreachable');
 * ```
 */
export class ApprovalServerError extends Error {
  constructor(
    /** What was asked, e.g. `POST http://127.0.0.1:4319/api/approvals`. */
    readonly request: string,
    /** The HTTP status, or undefined when there was no answer. */
    readonly status: number | undefined,
    /** The server's `error` field (e.g. `binding_mismatch`), when it gave one. */
    readonly code: string | undefined,
    detail: string,
  ) {
    super(
      status === undefined
        ? `${request} failed: ${detail}. Check that the AgentSudo server is running at that address ` +
            `(configureCloud's endpoint or AGENTSUDO_ENDPOINT); until it answers, calls that need an approval are refused.`
        : `${request} answered ${status}${code ? ` ${code}` : ''}: ${detail}. ` +
            (status === 401 || status === 403
              ? 'Check the project ingest key (configureCloud apiKey or AGENTSUDO_API_KEY).'
              : 'The call that needed this approval is refused.'),
    );
    this.name = 'ApprovalServerError';
  }
}

/** What a POST /api/approvals says about a new request. */
export interface CreateApproval extends CallBinding {
  description?: string;
  timeout_ms: number;
  session_id?: string;
  request_key: string;
}

/**
 * The SDK's side of the approvals HTTP API (`/api/approvals`, `/api/grants`), with the
 * project's ingest key as Bearer token. Every method resolves with the parsed answer of a
 * 2xx or rejects with {@link ApprovalServerError}.
 *
 * @example
 * ```ts
 * const api = new ApprovalApi('http://127.0.0.1:4319', 'as_…', 10_000);
 * const approval = await api.get('Zk3JtR0w8b1QxZ2FmYWtl');
 * ```
 */
export class ApprovalApi {
  private readonly client: AxiosInstance;

  constructor(
    readonly endpoint: string,
    private readonly apiKey: string,
    private readonly requestTimeoutMs: number,
  ) {
    const { axios, HttpAgent, HttpsAgent } = networkStack();
    const agentOptions = { keepAlive: true, maxSockets: 16 };
    this.client = axios.create({
      baseURL: endpoint,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      maxRedirects: 0,
      responseType: 'text',
      validateStatus: () => true,
      transformResponse: [(data: unknown) => data],
      headers: { Authorization: `Bearer ${apiKey}`, 'User-Agent': SDK_NAME },
    });
  }

  /** Asks for a decision; an active grant may approve it at once (200 with `grant_id`). */
  create(body: CreateApproval): Promise<Approval> {
    return this.call<Approval>('POST', '/api/approvals', body).then(checkApproval);
  }

  get(id: string): Promise<Approval> {
    return this.call<Approval>('GET', `/api/approvals/${encodeURIComponent(id)}`).then(checkApproval);
  }

  /** Long-poll: answers once decided or expired, else after `timeoutMs` with the pending approval. */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Approval> {
    const ms = Math.max(0, Math.min(30_000, Math.round(timeoutMs)));
    return this.call<Approval>(
      'GET',
      `/api/approvals/${encodeURIComponent(id)}/wait?timeout_ms=${ms}`,
      undefined,
      {
        timeout: ms + this.requestTimeoutMs,
        signal,
      },
    ).then(checkApproval);
  }

  /** Spends an approval on the one call it was asked for; rejects (409, 403) if it cannot. */
  consume(id: string, binding: CallBinding): Promise<Approval> {
    return this.call<Approval>('POST', `/api/approvals/${encodeURIComponent(id)}/consume`, binding).then(
      checkApproval,
    );
  }

  /** The project's active grants for an agent. */
  async grants(agentName: string): Promise<Grant[]> {
    const answer = await this.call<{ grants?: unknown }>(
      'GET',
      `/api/grants?agent_name=${encodeURIComponent(agentName)}`,
    );
    if (!answer || !Array.isArray(answer.grants)) {
      throw new ApprovalServerError(
        `GET ${this.endpoint}/api/grants`,
        200,
        undefined,
        'no grants list in the answer',
      );
    }
    return answer.grants.filter(isGrant);
  }

  /**
   * Opens the project's approval event stream (Server-Sent Events). Resolves with the
   * response once the server answered 200; its socket does not hold the process open.
   */
  openStream(signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL('/api/approvals/stream', this.endpoint);
    const request = `GET ${url.toString()}`;
    const { get } = (
      url.protocol === 'https:' ? require('node:https') : require('node:http')
    ) as typeof import('node:http');
    return new Promise((resolve, reject) => {
      const req = get(
        url,
        {
          signal,
          headers: {
            Authorization: `Bearer ${this.apiKey}`,
            Accept: 'text/event-stream',
            'User-Agent': SDK_NAME,
          },
          timeout: this.requestTimeoutMs,
        },
        (res) => {
          req.setTimeout(0);
          if (res.statusCode === 200) return resolve(res);
          res.resume();
          reject(new ApprovalServerError(request, res.statusCode, undefined, 'the event stream was refused'));
        },
      );
      req.on('socket', (socket) => socket.unref());
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`)));
      req.on('error', (err) => reject(new ApprovalServerError(request, undefined, undefined, err.message)));
    });
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const request = `${method} ${this.endpoint}${path.replace(/\?.*$/, '')}`;
    let res;
    try {
      res = await this.client.request<string>({
        method,
        url: path,
        data: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
        timeout: options.timeout ?? this.requestTimeoutMs,
        signal: options.signal,
      });
    } catch (err) {
      throw new ApprovalServerError(
        request,
        undefined,
        undefined,
        networkStack().axios.isAxiosError(err) ? err.message || String(err.code) : String(err),
      );
    }
    const parsed = parseJson(res.data);
    if (res.status < 200 || res.status >= 300) {
      const fields = (parsed ?? {}) as { error?: unknown; message?: unknown };
      const code = typeof fields.error === 'string' ? fields.error : undefined;
      const message =
        typeof fields.message === 'string' ? fields.message.slice(0, 300) : 'no explanation given';
      throw new ApprovalServerError(request, res.status, code, message);
    }
    if (parsed === undefined)
      throw new ApprovalServerError(request, res.status, undefined, 'the answer is not JSON');
    return parsed as T;
  }
}

const STATUSES = new Set(['pending', 'approved', 'denied', 'expired']);

/** A 2xx that does not hold an approval is a failure: nothing is allowed on a malformed answer. */
function checkApproval(value: Approval): Approval {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.id !== 'string' ||
    !STATUSES.has(value.status) ||
    typeof value.expires_at !== 'string'
  ) {
    throw new ApprovalServerError('approvals API', 200, undefined, 'the answer is not an approval');
  }
  return value;
}

/**
 * A well-formed grant from the stream or the grants list.
 *
 * @example
 * ```ts
 * isGrant({ id: 'g1', agent_name: 'Bot', scope: 'write:x', expires_at: '2026-01-01T00:00:00Z' }); // true
 * ```
 */
export function isGrant(value: unknown): value is Grant {
  const g = value as Grant;
  return (
    typeof g === 'object' &&
    g !== null &&
    typeof g.id === 'string' &&
    typeof g.agent_name === 'string' &&
    typeof g.scope === 'string' &&
    typeof g.expires_at === 'string' &&
    (g.agent_id === undefined || g.agent_id === null || typeof g.agent_id === 'string') &&
    (g.args_digest === undefined || g.args_digest === null || typeof g.args_digest === 'string')
  );
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
