import { AsyncLocalStorage } from 'node:async_hooks';
import { Dispatcher } from './dispatcher';
import { LocalNoticeTransport } from './local-notice';
import type { Session } from './session';

/**
 * Process-wide state: the session store and the dispatcher. Kept on `globalThis` under
 * a registered symbol so two copies of this package in one process (a bundler or a
 * nested node_modules) still share one session and one set of transports.
 */
interface Runtime {
  readonly storage: AsyncLocalStorage<Session>;
  readonly dispatcher: Dispatcher;
}

const KEY = Symbol.for('agentsudo.core.runtime.v1');
const holder = globalThis as unknown as Record<symbol, Runtime | undefined>;

/**
 * The shared runtime; created on first import.
 *
 * @example
 * ```ts
 * runtime.storage.getStore()?.agent.name;
 * ```
 */
export const runtime: Runtime = (holder[KEY] ??= {
  storage: new AsyncLocalStorage<Session>(),
  dispatcher: new Dispatcher(new LocalNoticeTransport()),
});
