import type { LimitStore } from './guard';
import { applyLimitConfig } from './limit-config';
import { runtime } from './runtime';
import type { Transport } from './transport';

/**
 * Process-wide settings.
 *
 * @example
 * ```ts
 * configure({ transports: [new ConsoleTransport(), new FileTransport({ filename: 'audit.jsonl' })] });
 * ```
 */
export interface SudoConfig {
  /** Replaces every configured transport. An empty list returns to local-only mode. */
  transports?: readonly Transport[];
  /**
   * Keeps every agent's rate limits and budgets in a shared store (Redis, PostgreSQL) instead
   * of this process, so all instances count together. Calls that a limit or budget applies to
   * then return a Promise. `null` returns to in-process counting.
   */
  limitStore?: LimitStore | null;
  /**
   * When the limit store fails or does not answer in time: refuse (`false`, the default), or
   * run the call without its limits (`true`), saying so once on stderr and in each such
   * call's event (`metadata.limit_store_fail_open: true`).
   */
  failOpen?: boolean;
  /** How long to wait for the limit store's answer before treating it as failed; default 2000 ms. */
  limitStoreTimeoutMs?: number;
  /** The time source of in-process rate limits and budgets (epoch ms); default `Date.now`. For tests. */
  clock?: () => number;
}

/**
 * Sets the transports, and where rate limits and budgets are counted. With no transport
 * configured, AgentSudo runs in local-only mode: denials and audit violations print one
 * line on stderr. Settings left out keep their value.
 *
 * @example
 * ```ts
 * configure({ transports: [myTransport] });
 * configure({ limitStore: sharedStore, failOpen: false });
 * ```
 */
export function configure(config: SudoConfig): void {
  applyLimitConfig(config, 'configure');
  if (config.transports !== undefined) {
    config.transports.forEach(assertTransport);
    runtime.dispatcher.setTransports(config.transports);
  }
}

/**
 * Adds one transport beside those configured.
 *
 * @example
 * ```ts
 * addTransport(new FileTransport({ filename: 'audit.jsonl' }));
 * ```
 */
export function addTransport(transport: Transport): void {
  assertTransport(transport);
  runtime.dispatcher.setTransports([...runtime.dispatcher.list(), transport]);
}

/**
 * Removes a transport (without closing it); true when it was configured.
 *
 * @example
 * ```ts
 * removeTransport(file); await file.close?.();
 * ```
 */
export function removeTransport(transport: Transport): boolean {
  const list = runtime.dispatcher.list();
  if (!list.includes(transport)) return false;
  runtime.dispatcher.setTransports(list.filter((t) => t !== transport));
  return true;
}

/**
 * Removes one transport and flushes and closes it, leaving every other transport as it
 * is: for code that added a transport for its own lifetime (an app, a job) and must not
 * end anyone else's. Failures are reported once on stderr, like any transport's; false
 * when it did not finish flushing within `timeoutMs`.
 *
 * @example
 * ```ts
 * addTransport(jobLog);
 * try { await runJob(); } finally { await closeTransport(jobLog); }
 * ```
 */
export function closeTransport(transport: Transport, timeoutMs = 5000): Promise<boolean> {
  return runtime.dispatcher.detach(transport, timeoutMs);
}

/**
 * The configured transports, in order.
 *
 * @example
 * ```ts
 * getTransports().map((t) => t.name);
 * ```
 */
export function getTransports(): readonly Transport[] {
  return runtime.dispatcher.list();
}

/**
 * Waits until every transport has delivered what it holds; false on timeout.
 *
 * @example
 * ```ts
 * export const handler = async (event) => { …; await flush(2000); };
 * ```
 */
export function flush(timeoutMs = 5000): Promise<boolean> {
  return runtime.dispatcher.flush(timeoutMs);
}

/**
 * Flushes and closes every transport and returns to local-only mode.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', async () => { await shutdown(); process.exit(0); });
 * ```
 */
export function shutdown(timeoutMs = 5000): Promise<boolean> {
  return runtime.dispatcher.shutdown(timeoutMs);
}

function assertTransport(t: Transport): void {
  if (!t || typeof t.log !== 'function') {
    throw new TypeError(`A transport needs a log(event) method; got ${t === null ? 'null' : typeof t}.`);
  }
}
