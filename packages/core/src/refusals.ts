import type { SudoAction, SudoEvent } from './events';
import { runtime } from './runtime';

/**
 * A protected call made with no agent session at all: the scope it needed and the
 * function's name.
 *
 * @example
 * ```ts
 * const call: NoSessionCall = { scope: 'read:customers', functionName: 'CustomerService.getCustomer' };
 * ```
 */
export interface NoSessionCall {
  scope: string;
  functionName: string;
}

const noSessionListeners = new Set<(call: NoSessionCall) => void>();

/**
 * Calls `listener` for every protected call refused because no session was active (a
 * timer, a startup hook, a route without an agent), just before its `NoSessionError` is
 * thrown. Such a call has no agent, so core emits no event for it; integrations that
 * know more (the HTTP request it came from) record it. Returns the function that stops
 * listening. A listener that throws is ignored: it never changes the refusal.
 *
 * @example
 * ```ts
 * const stop = onNoSessionCall(({ scope, functionName }) => console.warn(`${functionName} ran without an agent`));
 * ```
 */
export function onNoSessionCall(listener: (call: NoSessionCall) => void): () => void {
  if (typeof listener !== 'function') {
    throw new TypeError(`onNoSessionCall(listener): listener must be a function, got ${typeof listener}.`);
  }
  noSessionListeners.add(listener);
  return () => {
    noSessionListeners.delete(listener);
  };
}

/** Tells the listeners of {@link onNoSessionCall} about a refused call. */
export function reportNoSessionCall(call: NoSessionCall): void {
  for (const listener of noSessionListeners) {
    try {
      listener(call);
    } catch {
      // A listener is telemetry: it never changes the outcome of the call.
    }
  }
}

/**
 * True when some transport wants events of this kind: an integration asks before it
 * builds an event, so a check no transport records costs no event (the allowed path of a
 * tool call with only a denials-only console, say).
 *
 * @example
 * ```ts
 * if (wantsEvent('permission_check', true)) recordEvent(createEvent({ … }));
 * ```
 */
export function wantsEvent(action: SudoAction, allowed: boolean): boolean {
  return runtime.dispatcher.wants(action, allowed);
}

/**
 * Hands an event made outside a protected call (a refusal before any session, say) to
 * every transport that wants its kind, exactly as core's own events go. Never throws.
 *
 * @example
 * ```ts
 * recordEvent(createEvent({ agentName: '<unauthenticated>', action: 'permission_check', allowed: false }));
 * ```
 */
export function recordEvent(event: SudoEvent): void {
  if (wantsEvent(event.action, event.allowed)) runtime.dispatcher.dispatch(event);
}
