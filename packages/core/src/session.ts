import { randomUUID } from 'node:crypto';
import type { Agent } from './agent';
import { createEvent, type SudoAction, type SudoEvent } from './events';
import { runtime } from './runtime';

const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * For its last minute (or all its life, when shorter), a session's checks read the clock:
 * exact expiry even while synchronous or microtask-only work keeps timers from firing.
 * Before that, a flag cleared by a timer spares the hot path the clock read.
 */
const CLOCK_WINDOW_MS = 60_000;

/**
 * One run of an agent. Sessions travel with AsyncLocalStorage, so concurrent sessions
 * of different agents never see each other across awaits, timers and emitters.
 *
 * @example
 * ```ts
 * agent.startSession((session) => console.log(session.id, session.expiresAt));
 * ```
 */
export class Session {
  /** Epoch milliseconds. */
  readonly startedAt = Date.now();
  /** Epoch milliseconds after which checks fail with `SessionExpiredError`. */
  readonly expiresAt: number;
  // A session that nobody checks in (an MCP tool that calls nothing protected, say) never
  // needs its id or its expiry timer, and both cost more than the rest of starting it: each
  // is made on first use.
  private uuid: string | undefined;
  /** undefined until a check first asks whether the session is live, which arms the timer. */
  private liveFlag: boolean | undefined;
  private ended = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(readonly agent: Agent) {
    this.expiresAt = this.startedAt + agent.sessionTtlMs;
  }

  /** uuid, carried by every event of the session. */
  get id(): string {
    return (this.uuid ??= randomUUID());
  }

  /**
   * @internal True while the session runs and is more than a minute from expiry. A timer
   * clears it, so the hot path reads a flag instead of the clock (a clock read costs more
   * than the rest of a check). Once false, every check compares the clock with
   * `expiresAt`, so expiry is exact even if the timer fires late.
   */
  get live(): boolean {
    return this.liveFlag ?? this.armExpiry();
  }

  /** True once the function given to `startSession` has returned or settled. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** @internal Marks the end and emits `session_end` once. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.liveFlag = false;
    clearTimeout(this.expiryTimer);
    emitSessionEvent('session_end', this);
  }

  /** Arms the timer that clears `live` a minute before expiry; answers whether the session is live. */
  private armExpiry(): boolean {
    const clockFrom = this.expiresAt - CLOCK_WINDOW_MS;
    // setTimeout holds at most ~24.8 days; longer sessions re-arm until they are due.
    const remaining = Math.min(clockFrom - Date.now(), MAX_TIMER_MS);
    if (remaining <= 0) return (this.liveFlag = false);
    this.expiryTimer = setTimeout(
      () => (Date.now() >= clockFrom ? (this.liveFlag = false) : this.armExpiry()),
      remaining,
    );
    this.expiryTimer.unref();
    return (this.liveFlag = true);
  }
}

/**
 * Runs `fn` inside a new session of `agent`; the session ends when `fn` returns or its
 * promise settles. Used by `agent.startSession`.
 *
 * @example
 * ```ts
 * runInSession(agent, () => service.getCustomer('c-1'));
 * ```
 */
export function runInSession<T>(agent: Agent, fn: (session: Session) => T): T {
  const session = new Session(agent);
  emitSessionEvent('session_start', session);
  let result: T;
  try {
    result = runtime.storage.run(session, fn, session);
  } catch (err) {
    session.end();
    throw err;
  }
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as unknown as PromiseLike<unknown>).then === 'function'
  ) {
    // then() rather than finally(): the same outcome with two promises fewer per session.
    return Promise.resolve(result).then(
      (value) => {
        session.end();
        return value;
      },
      (error: unknown) => {
        session.end();
        throw error;
      },
    ) as T;
  }
  session.end();
  return result;
}

/**
 * The session of the caller, or undefined outside any session.
 *
 * @example
 * ```ts
 * const id = currentSession()?.id;
 * ```
 */
export function currentSession(): Session | undefined {
  return runtime.storage.getStore();
}

/**
 * The agent of the caller's session, or undefined outside any session.
 *
 * @example
 * ```ts
 * if (currentAgent()?.hasScope('write:refunds')) offerRefund();
 * ```
 */
export function currentAgent(): Agent | undefined {
  return runtime.storage.getStore()?.agent;
}

/**
 * Emits an event about `session` when some transport wants it.
 *
 * @example
 * ```ts
 * emitSessionEvent('session_expired', session, { scope: 'read:x', functionName: 'f' });
 * ```
 */
export function emitSessionEvent(
  action: SudoAction,
  session: Session,
  extra: { scope?: string; functionName?: string; allowed?: boolean } = {},
): void {
  const allowed = extra.allowed ?? action !== 'session_expired';
  if (!runtime.dispatcher.wants(action, allowed)) return;
  runtime.dispatcher.dispatch(sessionEvent(session, action, allowed, extra.scope, extra.functionName));
}

/**
 * An event of `session`'s agent; what every check and lifecycle event is built from.
 *
 * @example
 * ```ts
 * dispatcher.dispatch(sessionEvent(session, 'permission_check', true, 'read:x', 'Tools.read'));
 * ```
 */
export function sessionEvent(
  session: Session,
  action: SudoAction,
  allowed: boolean,
  scope?: string,
  functionName?: string,
): SudoEvent {
  const agent = session.agent;
  return createEvent({
    agentId: agent.id,
    agentName: agent.name,
    role: agent.role,
    sessionId: session.id,
    action,
    scope,
    allowed,
    functionName,
    metadata: agent.metadata as Record<string, unknown> | undefined,
  });
}
