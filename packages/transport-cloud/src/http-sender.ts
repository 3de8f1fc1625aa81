import { promisify } from 'node:util';
import type { AxiosInstance, AxiosStatic } from 'axios';
import { SDK_NAME } from '@agentsudo/core';
import { parseRetryAfter } from './backoff';

/** What a sender needs from axios and Node's network and compression modules. */
export interface NetworkStack {
  axios: AxiosStatic;
  HttpAgent: typeof import('node:http').Agent;
  HttpsAgent: typeof import('node:https').Agent;
  gzip: (data: string, options: { level: number }) => Promise<Buffer>;
  fastestLevel: number;
}

let stack: NetworkStack | undefined;

/**
 * Loads axios, http, https (with TLS) and zlib when the first sender is made rather than
 * on import: `agentsudo` re-exports this package, and a program that never configures
 * cloud mode should not pay for them on every cold start.
 */
export function networkStack(): NetworkStack {
  if (stack) return stack;
  const zlib = require('node:zlib') as typeof import('node:zlib');
  stack = {
    axios: require('axios') as AxiosStatic,
    HttpAgent: (require('node:http') as typeof import('node:http')).Agent,
    HttpsAgent: (require('node:https') as typeof import('node:https')).Agent,
    gzip: promisify(zlib.gzip) as NetworkStack['gzip'],
    fastestLevel: zlib.constants.Z_BEST_SPEED,
  };
  return stack;
}

/**
 * What one POST came to.
 * - `ok`: stored; `duplicates` of them the server had already (a replay).
 * - `retry`: network error, timeout, 408, 429 or 5xx; `retryAfterMs` when the server said;
 *   `status` when there was an answer.
 * - `unauthorized`: 401/403, the key is wrong.
 * - `too_large`: 413 (or 400 `batch_too_large`), split the batch.
 * - `invalid`: 400 or 422, some event is refused; `index` is the one the server named, if it did.
 * - `rejected`: another 3xx or 4xx; retrying the same body cannot help.
 * - `aborted`: the transport closed while the request was in flight.
 *
 * @example
 * ```ts
 * const outcome = await sender.post(await sender.prepare(json));
 * if (outcome.kind === 'retry') await sleep(outcome.retryAfterMs ?? backoffDelay(1, 30_000));
 * ```
 */
export type SendOutcome =
  | { kind: 'ok'; duplicates: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number; status?: number }
  | { kind: 'unauthorized'; status: number }
  | { kind: 'too_large' }
  | { kind: 'invalid'; reason: string; index?: number }
  | { kind: 'rejected'; status: number; reason: string }
  | { kind: 'aborted' };

/**
 * A batch ready to POST: the JSON text, or its gzip.
 *
 * @example
 * ```ts
 * const prepared = await sender.prepare(JSON.stringify(batch));
 * const outcome = await sender.post(prepared);
 * ```
 */
export interface PreparedBody {
  readonly body: string | Buffer;
  readonly gzip: boolean;
}

/**
 * How the cloud transport hands a batch to the network: the request function it is given
 * (the HTTP one by default), so delivery logic (retries, splits, drops) can run against
 * any sender. `prepare` is separate from `post` so the next batch can be made ready while
 * the current one is in flight; a retry posts the same prepared body again. Neither may throw.
 *
 * @example
 * ```ts
 * const memory: EventSender = {
 *   url: 'memory:',
 *   prepare: async (json) => ({ body: json, gzip: false }),
 *   post: async () => ({ kind: 'ok', duplicates: 0 }),
 *   abort: () => undefined,
 * };
 * new CloudTransport({ apiKey: 'as_…' }, () => memory);
 * ```
 */
export interface EventSender {
  /** Where batches go, for messages. */
  readonly url: string;
  /** Makes a JSON array of wire events ready to post. */
  prepare(json: string): Promise<PreparedBody>;
  /** Posts a prepared body and says how it went; never throws. */
  post(prepared: PreparedBody): Promise<SendOutcome>;
  /** Cuts the request in flight short: it then answers `aborted`. */
  abort(): void;
}

/**
 * Settings of an {@link HttpSender}.
 *
 * @example
 * ```ts
 * const settings: HttpSenderSettings = { endpoint, apiKey, gzipThresholdBytes: 16_384, requestTimeoutMs: 10_000 };
 * ```
 */
export interface HttpSenderSettings {
  endpoint: string;
  apiKey: string;
  gzipThresholdBytes: number;
  requestTimeoutMs: number;
}

/**
 * POSTs batches of wire events to
 * `{endpoint}/api/events` through axios, over kept-alive connections.
 *
 * @example
 * ```ts
 * const sender = new HttpSender({ endpoint: 'http://127.0.0.1:4319', apiKey: 'as_…', gzipThresholdBytes: 16_384, requestTimeoutMs: 10_000 });
 * const outcome = await sender.post(await sender.prepare(JSON.stringify([toWire(event)])));
 * ```
 */
export class HttpSender implements EventSender {
  readonly url: string;
  private readonly client: AxiosInstance;
  private readonly controller = new AbortController();
  private readonly stack = networkStack();

  constructor(private readonly settings: HttpSenderSettings) {
    this.url = `${settings.endpoint}/api/events`;
    const { axios, HttpAgent, HttpsAgent } = this.stack;
    // Node unrefs idle kept-alive sockets, so they never hold the process open.
    const agentOptions = { keepAlive: true, maxSockets: 4 };
    this.client = axios.create({
      timeout: settings.requestTimeoutMs,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      maxRedirects: 0,
      maxBodyLength: Infinity,
      responseType: 'text',
      // We read every status ourselves; axios must not turn 4xx/5xx into exceptions.
      validateStatus: () => true,
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
    });
  }

  /**
   * Gzips a batch's JSON when it is large. Separate from {@link post} so the next batch
   * can be made ready while the current request is in flight.
   */
  async prepare(json: string): Promise<PreparedBody> {
    // Length in UTF-16 units never exceeds the byte length, and counting bytes costs a scan.
    if (json.length <= this.settings.gzipThresholdBytes) return { body: json, gzip: false };
    try {
      // Fastest level: event JSON is repetitive, so even level 1 shrinks it ~10x,
      // and zlib runs on the thread pool, away from the caller's thread.
      return { body: await this.stack.gzip(json, { level: this.stack.fastestLevel }), gzip: true };
    } catch {
      return { body: json, gzip: false };
    }
  }

  /** POSTs a prepared body; never throws. */
  async post(prepared: PreparedBody): Promise<SendOutcome> {
    if (this.controller.signal.aborted) return { kind: 'aborted' };
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-API-Key': this.settings.apiKey,
      'User-Agent': SDK_NAME,
    };
    if (prepared.gzip) headers['Content-Encoding'] = 'gzip';
    try {
      const res = await this.client.post(this.url, prepared.body, {
        headers,
        signal: this.controller.signal,
      });
      return classify(res.status, res.headers, res.data);
    } catch (err) {
      if (this.controller.signal.aborted) return { kind: 'aborted' };
      return { kind: 'retry', reason: describeError(err) };
    }
  }

  /** Aborts the request in flight (it is then spooled or dropped by the caller). */
  abort(): void {
    this.controller.abort();
  }
}

function classify(status: number, headers: Record<string, unknown>, data: unknown): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok', duplicates: readDuplicates(data) };
  if (status === 401 || status === 403) return { kind: 'unauthorized', status };
  // The dashboard answers 413 above 1 MiB and 400 `batch_too_large` above its event count.
  if (status === 413 || (status === 400 && typeof data === 'string' && data.includes('"batch_too_large"'))) {
    return { kind: 'too_large' };
  }
  // 422 says the same as 400 (the body is well-formed, some event in it is not).
  if (status === 400 || status === 422)
    return { kind: 'invalid', reason: `HTTP ${status}${snippet(data)}`, index: invalidIndex(data) };
  if (status === 408 || status === 429 || status >= 500) {
    return {
      kind: 'retry',
      reason: `HTTP ${status}`,
      retryAfterMs: parseRetryAfter(headers['retry-after']),
      status,
    };
  }
  if (status >= 300 && status < 400 && typeof headers.location === 'string') {
    return {
      kind: 'rejected',
      status,
      reason: `HTTP ${status} redirect to ${headers.location}; set the endpoint to that address`,
    };
  }
  return { kind: 'rejected', status, reason: `HTTP ${status}${snippet(data)}` };
}

/** The event a 400 names in its `field` (`events[12].scope` → 12), as the dashboard answers. */
function invalidIndex(data: unknown): number | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const field = (JSON.parse(data) as { field?: unknown }).field;
    const match = typeof field === 'string' ? /^events\[(\d+)\]/.exec(field) : null;
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function readDuplicates(data: unknown): number {
  if (typeof data !== 'string' || data === '') return 0;
  try {
    const parsed = JSON.parse(data) as { duplicates?: unknown };
    return typeof parsed.duplicates === 'number' && parsed.duplicates >= 0 ? parsed.duplicates : 0;
  } catch {
    return 0;
  }
}

function snippet(data: unknown): string {
  return typeof data === 'string' && data !== '' ? `: ${data.slice(0, 200)}` : '';
}

function describeError(err: unknown): string {
  if (networkStack().axios.isAxiosError(err)) {
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') return `timeout (${err.message})`;
    return err.message || err.code || 'network error';
  }
  return err instanceof Error ? err.message : String(err);
}
