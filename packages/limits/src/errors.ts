/**
 * Which shared store a {@link LimitStoreUnavailableError} comes from.
 *
 * @example
 * ```ts
 * const store: LimitStoreKind = 'redis';
 * ```
 */
export type LimitStoreKind = 'redis' | 'postgres';

/**
 * The store could not answer: it is unreachable, too slow (no answer within `timeoutMs`), or
 * refused the command. Nothing can be known about the counter, so the check denies (the
 * limit's `reason`) unless `failOpen` is set. A reserve that timed out may still have been
 * taken by the store; it is given back when its window passes, or at once by a settle with
 * `actual: 0` for the same reservation.
 *
 * @example
 * ```ts
 * try { await store.reserve(req); } catch (e) {
 *   if (e instanceof LimitStoreUnavailableError) console.error(e.store, e.operation, e.timedOut);
 * }
 * ```
 */
export class LimitStoreUnavailableError extends Error {
  readonly store: LimitStoreKind;
  readonly operation: 'reserve' | 'settle';
  readonly key: string;
  /** True when the store gave no answer within `timeoutMs`; false when it answered with an error. */
  readonly timedOut: boolean;
  readonly timeoutMs: number;

  constructor(details: {
    store: LimitStoreKind;
    operation: 'reserve' | 'settle';
    key: string;
    timedOut: boolean;
    timeoutMs: number;
    cause?: unknown;
  }) {
    const name = details.store === 'redis' ? 'Redis' : 'PostgreSQL';
    const failure = details.timedOut
      ? `gave no answer within ${details.timeoutMs} ms`
      : `failed: ${describeCause(details.cause)}`;
    const fix = details.timedOut
      ? `Check that ${name} is running and reachable from this process, or raise the store's timeoutMs if it is only slow.`
      : `Check that ${name} is running and reachable from this process and that its user may run the command.`;
    super(
      `The ${name} limit store ${failure} (${details.operation} for key '${details.key}'). The limit cannot be checked, so the call is denied ` +
        `unless failOpen is set. ${fix}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = new.target.name;
    this.store = details.store;
    this.operation = details.operation;
    this.key = details.key;
    this.timedOut = details.timedOut;
    this.timeoutMs = details.timeoutMs;
  }
}

/**
 * A reserve or settle request, or a store option, holds a value the store cannot use (an
 * empty key, a negative amount, a window that is not a whole number of milliseconds…). The
 * message names the field, the value and what is accepted.
 *
 * @example
 * ```ts
 * try { await store.reserve({ ...req, amount: -1 }); } catch (e) {
 *   if (e instanceof LimitRequestError) console.error(e.field, e.value);
 * }
 * ```
 */
export class LimitRequestError extends Error {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string) {
    super(`Invalid ${field}: ${show(value)}. Expected ${expected}.`);
    this.name = new.target.name;
    this.field = field;
    this.value = value;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}

/** The value as the message shows it: strings quoted and cut, so a huge or odd value stays readable. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null)
    return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}
