import type { SudoAction, SudoEvent } from './events';

/**
 * Where events go. A transport is small: `log()` is synchronous and must not block
 * (enqueue, don't send); `flush()` and `close()` are optional. A transport that throws
 * is reported once on stderr and never breaks the decorated call.
 *
 * @example
 * ```ts
 * class ArrayTransport implements Transport {
 *   readonly name = 'array';
 *   readonly events: SudoEvent[] = [];
 *   wants(action: SudoAction, allowed: boolean) { return !allowed; } // denials only
 *   log(event: SudoEvent) { this.events.push(event); }
 * }
 * configure({ transports: [new ArrayTransport()] });
 * ```
 */
export interface Transport {
  /** Shown in error reports; defaults to the class name. */
  readonly name?: string;
  /**
   * Which events this transport wants. Asked once per (action, allowed) pair when the
   * transport set changes, never per event, so it must be pure. Omitted: every event.
   * When no transport wants an event, the event is never built.
   */
  wants?(action: SudoAction, allowed: boolean): boolean;
  /** Accepts one event. Synchronous and non-blocking. */
  log(event: SudoEvent): void;
  /** Resolves true when everything logged so far is delivered within `timeoutMs`. */
  flush?(timeoutMs?: number): Promise<boolean>;
  /** Flushes and releases resources. */
  close?(): Promise<void>;
}
