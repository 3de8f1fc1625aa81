import { addTransport, removeTransport } from '@agentsudo/core';
import { redactKey, type CloudOptions, type ResolvedCloudOptions } from './options';
import { StatsCounters, type CloudStats } from './stats';
import { CloudTransport } from './transport';

/**
 * The cloud configuration as it is safe to show: every resolved option, with the API key
 * replaced by a hint.
 *
 * @example
 * ```ts
 * getCloudConfig(); // { endpoint: 'http://127.0.0.1:4319', apiKeyHint: 'as_…cdef', batchSize: 500, … }
 * ```
 */
export type CloudConfig = Omit<ResolvedCloudOptions, 'apiKey'> & { readonly apiKeyHint: string };

/**
 * What {@link configureCloud} returns: the installed transport and shortcuts to it.
 *
 * @example
 * ```ts
 * const cloud = configureCloud({ apiKey: 'as_…' });
 * await cloud.flush(2000);
 * console.log(cloud.stats().sent);
 * ```
 */
export interface CloudHandle {
  readonly transport: CloudTransport;
  readonly config: CloudConfig;
  /** See {@link flushCloud}. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** See {@link shutdownCloud}; once replaced, resolves as the background close did. */
  shutdown(timeoutMs?: number): Promise<boolean>;
  stats(): CloudStats;
}

let active: CloudTransport | undefined;
/** The transport whose stats getCloudStats() shows after a shutdown. */
let last: CloudTransport | undefined;
/** Replaced or disabled transports still closing (flushCloud waits for them). */
const retiring = new Set<Promise<boolean>>();
/** How each retired transport's closing ended: true when it delivered everything. */
const retired = new WeakMap<CloudTransport, Promise<boolean>>();

/**
 * Turns on cloud mode: every permission check is sent to the AgentSudo dashboard.
 * `apiKey` falls back to `AGENTSUDO_API_KEY`, `endpoint` to `AGENTSUDO_ENDPOINT` and then
 * to `http://127.0.0.1:4319`. Calling it again replaces the previous configuration; the
 * old transport is flushed and closed in the background ({@link flushCloud} waits for it).
 *
 * @example
 * ```ts
 * import { configureCloud } from '@agentsudo/transport-cloud';
 * configureCloud({ apiKey: process.env.AGENTSUDO_API_KEY });
 * ```
 * @throws CloudConfigError when no key is given anywhere or an option is invalid; the
 *   previous configuration then stays as it was.
 */
export function configureCloud(options: CloudOptions = {}): CloudHandle {
  const transport = new CloudTransport(options);
  if (active) retire(active);
  // A transport still closing may spool what it could not send into the same folder
  // after the new one looked: have the new one look again, so this process sends it.
  for (const closing of retiring) void closing.then(() => transport.rescanSpool());
  addTransport(transport);
  active = last = transport;
  return {
    transport,
    config: describeConfig(transport),
    flush: (timeoutMs = 5000) => transport.flush(timeoutMs),
    shutdown: (timeoutMs = 5000) =>
      active === transport ? shutdownCloud(timeoutMs) : (retired.get(transport) ?? Promise.resolve(true)),
    stats: () => transport.stats(),
  };
}

/**
 * Turns cloud mode off at once: later events are no longer given to it. What it still
 * holds is flushed and closed in the background (unsent events go to the spool); await
 * the result to know whether everything was delivered.
 *
 * @example
 * ```ts
 * void disableCloud();
 * ```
 */
export function disableCloud(timeoutMs = 5000): Promise<boolean> {
  if (!active) return Promise.resolve(true);
  const transport = active;
  active = undefined;
  return retire(transport, timeoutMs);
}

/**
 * The active cloud configuration with the API key redacted, or undefined when cloud
 * mode is off (never configured, disabled, or closed by core's `shutdown()`).
 *
 * @example
 * ```ts
 * if (getCloudConfig()) console.log(`sending to ${getCloudConfig()!.endpoint}`);
 * ```
 */
export function getCloudConfig(): CloudConfig | undefined {
  // Core's shutdown() or the exit hook may have closed it behind our back.
  return active && !active.isClosed ? describeConfig(active) : undefined;
}

/**
 * Waits until every event logged so far is delivered; false after `timeoutMs` or when the
 * dashboard rejected the API key. Call it
 * before a serverless function returns, where the process may be frozen right after.
 *
 * @example
 * ```ts
 * export const handler = async (req) => { const out = await agent.startSession(() => work(req)); await flushCloud(2000); return out; };
 * ```
 */
export async function flushCloud(timeoutMs = 5000): Promise<boolean> {
  const waits: Promise<boolean>[] = [...retiring];
  if (active) waits.push(active.flush(timeoutMs));
  if (waits.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    const results = await Promise.race([Promise.all(waits), timeout.then(() => [false])]);
    return results.every(Boolean);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Delivers what it can within `timeoutMs`, then closes cloud mode: undelivered events go
 * to the spool for the next process. Resolves true when everything was delivered.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', async () => { await shutdownCloud(3000); process.exit(0); });
 * ```
 */
export function shutdownCloud(timeoutMs = 5000): Promise<boolean> {
  return disableCloud(timeoutMs);
}

/**
 * Counters of the active cloud transport (or of the last one, after a shutdown): sent,
 * retried, spooled, dropped by reason, and what is still waiting. All zero before
 * {@link configureCloud}.
 *
 * @example
 * ```ts
 * const { sent, dropped } = getCloudStats();
 * if (dropped.total) console.warn(dropped);
 * ```
 */
export function getCloudStats(): CloudStats {
  return (active ?? last)?.stats() ?? new StatsCounters().snapshot(0, 0);
}

/** Takes a transport out of core and closes it; the promise never rejects. */
function retire(transport: CloudTransport, timeoutMs = transport.options.exitTimeoutMs): Promise<boolean> {
  removeTransport(transport);
  const done = transport
    .flush(timeoutMs)
    .then(async (delivered) => {
      await transport.close(0);
      return delivered;
    })
    .catch(() => false)
    .finally(() => retiring.delete(done));
  retiring.add(done);
  retired.set(transport, done);
  return done;
}

function describeConfig(transport: CloudTransport): CloudConfig {
  const { apiKey, ...rest } = transport.options;
  return Object.freeze({ ...rest, apiKeyHint: redactKey(apiKey) });
}
