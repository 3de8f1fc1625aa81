import { ConfigurationError } from './errors';
import type { LimitStore } from './guard';
import { describeValue } from './scopes';

/**
 * How rate limits and budgets are kept, process-wide: in this process (the default), or in
 * a shared {@link LimitStore}. Held on `globalThis` under a registered symbol, like the
 * runtime, so two copies of this package in one process share one store.
 */
interface LimitSettings {
  store: LimitStore | undefined;
  failOpen: boolean;
  timeoutMs: number;
  clock: () => number;
  /** The last time handed out: in-process windows need times that never go backwards. */
  lastNow: number;
  /** The fail-open line is printed once per outage: armed again when the store answers. */
  failOpenAnnounced: boolean;
  settleFailureAnnounced: boolean;
}

const KEY = Symbol.for('agentsudo.core.limits.v1');
const holder = globalThis as unknown as Record<symbol, LimitSettings | undefined>;

/** The default wait for a shared store's answer before the call is refused. */
export const DEFAULT_LIMIT_STORE_TIMEOUT_MS = 2000;

/**
 * The process-wide limit settings.
 *
 * @example
 * ```ts
 * if (limitSettings.store === undefined) takeInProcess();
 * ```
 */
export const limitSettings: LimitSettings = (holder[KEY] ??= {
  store: undefined,
  failOpen: false,
  timeoutMs: DEFAULT_LIMIT_STORE_TIMEOUT_MS,
  clock: Date.now,
  lastNow: 0,
  failOpenAnnounced: false,
  settleFailureAnnounced: false,
});

/**
 * The time for in-process limits: the configured clock, never earlier than the last answer
 * (a wall clock stepped back must not reorder a window).
 *
 * @example
 * ```ts
 * const now = limitNow();
 * ```
 */
export function limitNow(): number {
  const s = limitSettings;
  // The default clock called directly: a call site that only ever sees Date.now stays
  // monomorphic when a test (or the bench) has set a clock of its own.
  const now = s.clock === Date.now ? Date.now() : s.clock();
  return now > s.lastNow ? (s.lastNow = now) : s.lastNow;
}

/**
 * The limit part of `configure()`.
 *
 * @example
 * ```ts
 * applyLimitConfig({ limitStore: redisStore, failOpen: false }, 'configure');
 * ```
 */
export function applyLimitConfig(
  config: {
    limitStore?: LimitStore | null;
    failOpen?: boolean;
    limitStoreTimeoutMs?: number;
    clock?: () => number;
  },
  where: string,
): void {
  const { limitStore, failOpen, limitStoreTimeoutMs, clock } = config;
  if (limitStore !== undefined && limitStore !== null) {
    if (
      typeof limitStore !== 'object' ||
      typeof limitStore.reserve !== 'function' ||
      typeof limitStore.settle !== 'function'
    ) {
      throw new ConfigurationError(
        `${where}: limitStore must have reserve() and settle() methods (a LimitStore such as @agentsudo/limits' stores); got ${describeValue(limitStore)}. Pass null to keep limits in this process.`,
      );
    }
  }
  if (failOpen !== undefined && typeof failOpen !== 'boolean') {
    throw new ConfigurationError(`${where}: failOpen must be true or false, got ${describeValue(failOpen)}.`);
  }
  if (
    limitStoreTimeoutMs !== undefined &&
    !(
      typeof limitStoreTimeoutMs === 'number' &&
      Number.isFinite(limitStoreTimeoutMs) &&
      limitStoreTimeoutMs > 0
    )
  ) {
    throw new ConfigurationError(
      `${where}: limitStoreTimeoutMs must be a positive number of milliseconds, got ${describeValue(limitStoreTimeoutMs)}.`,
    );
  }
  if (clock !== undefined && typeof clock !== 'function') {
    throw new ConfigurationError(
      `${where}: clock must be a function returning epoch milliseconds, such as Date.now.`,
    );
  }
  const s = limitSettings;
  if (limitStore !== undefined) s.store = limitStore ?? undefined;
  if (failOpen !== undefined) s.failOpen = failOpen;
  if (limitStoreTimeoutMs !== undefined) s.timeoutMs = limitStoreTimeoutMs;
  if (clock !== undefined) {
    s.clock = clock;
    s.lastNow = 0;
  }
}
