import type { Agent } from './agent';
import { ApprovalPendingError, NoSessionError, PermissionDeniedError, SessionExpiredError } from './errors';
import type { SudoAction } from './events';
import type { ApprovalVerdict, Approver, SudoOptions } from './options';
import { reportNoSessionCall } from './refusals';
import { runtime } from './runtime';
import { emitSessionEvent, sessionEvent, type Session } from './session';

const AsyncFunction = (async () => {}).constructor;

/**
 * Resolves the name shown for a protected function, given the call's `this`.
 *
 * @example
 * ```ts
 * const nameOf: NameResolver = (self) => `${(self as object).constructor.name}.refund`;
 * ```
 */
export type NameResolver = (thisArg: unknown) => string;

/**
 * Wraps `original` so each call is checked against `scope`. The allowed path is one
 * AsyncLocalStorage lookup, a flag read (expiry is a timer, not a clock read per call)
 * and a cached scope answer; it builds an event only when a transport wants allowed
 * checks. Everything else lives in `decide()`.
 *
 * @example
 * ```ts
 * const guarded = protect(refund, 'write:refunds', {}, () => 'refund');
 * ```
 */
export function protect<F extends (...args: any[]) => any>(
  original: F,
  scope: string,
  options: SudoOptions,
  nameOf: NameResolver,
): F {
  const { storage, dispatcher } = runtime;
  const onDeny = options.onDeny ?? 'raise';
  // An async function's callers expect failures as rejections, not synchronous throws.
  const rejectsInstead = original instanceof AsyncFunction;
  // A one-entry cache of the last agent's answer: a pointer compare instead of a lookup.
  let lastAgent: Agent | undefined;
  let lastGranted = false;
  const wrapper = function (this: unknown) {
    const session = storage.getStore();
    if (session !== undefined && session.live) {
      const agent = session.agent;
      if (agent !== lastAgent) {
        lastGranted = agent.hasScope(scope);
        lastAgent = agent;
      }
      if (lastGranted) {
        if (dispatcher.wantsAllowedChecks) emitCheck('permission_check', true, session, scope, nameOf(this));
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as unknown[]);
      }
    }
    // eslint-disable-next-line prefer-rest-params
    const args = Array.prototype.slice.call(arguments);
    if (!rejectsInstead) return decide(original, this, args, session, scope, onDeny, nameOf(this), false);
    try {
      return decide(original, this, args, session, scope, onDeny, nameOf(this), true);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  return wrapper as unknown as F;
}

/** Every outcome other than the fast allowed path. */
function decide(
  original: Function,
  thisArg: unknown,
  args: unknown[],
  session: Session | undefined,
  scope: string,
  onDeny: 'raise' | 'log' | Approver,
  functionName: string,
  isAsync: boolean,
): unknown {
  if (session === undefined) {
    reportNoSessionCall({ scope, functionName });
    throw new NoSessionError({ scope, functionName });
  }
  const agent = session.agent;
  if (Date.now() >= session.expiresAt) {
    emitSessionEvent('session_expired', session, { scope, functionName, allowed: false });
    throw new SessionExpiredError({
      agentName: agent.name,
      scope,
      functionName,
      expiredAt: new Date(session.expiresAt).toISOString(),
    });
  }
  if (agent.hasScope(scope)) {
    // A granted call from work that outlived its session (a timer the session left behind).
    emitCheck('permission_check', true, session, scope, functionName);
    return original.apply(thisArg, args);
  }
  const denied = (byApprover: boolean, cause?: unknown) => {
    const err = new PermissionDeniedError({
      agentName: agent.name,
      scope,
      functionName,
      grantedScopes: agent.scopes,
      byApprover,
    });
    if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
    return err;
  };
  if (onDeny === 'raise') {
    emitCheck('permission_check', false, session, scope, functionName);
    throw denied(false);
  }
  if (onDeny === 'log') {
    emitCheck('audit_violation', false, session, scope, functionName);
    return original.apply(thisArg, args);
  }
  const settle = (answer: boolean | ApprovalVerdict) => {
    const verdict = typeof answer === 'object' && answer !== null ? answer : undefined;
    const approved = verdict ? verdict.approved === true : answer === true;
    if (approved) {
      if (!verdict?.silent) emitCheck('approval_granted', true, session, scope, functionName);
      return original.apply(thisArg, args);
    }
    if (!verdict?.silent) emitCheck('approval_denied', false, session, scope, functionName);
    throw denied(true, verdict?.cause);
  };
  const refuse = (cause: unknown) => {
    // Not a refusal: the decision is still to come, so the caller gets it as is.
    if (cause instanceof ApprovalPendingError) throw cause;
    emitCheck('approval_denied', false, session, scope, functionName);
    throw denied(true, cause);
  };
  let verdict: boolean | ApprovalVerdict | Promise<boolean | ApprovalVerdict>;
  try {
    verdict = onDeny({ agent, session, scope, functionName, args: Object.freeze([...args]), isAsync });
  } catch (err) {
    return refuse(err);
  }
  if (
    verdict !== null &&
    typeof verdict === 'object' &&
    typeof (verdict as Promise<boolean>).then === 'function'
  ) {
    return Promise.resolve(verdict).then(settle, refuse);
  }
  return settle(verdict as boolean | ApprovalVerdict);
}

function emitCheck(
  action: SudoAction,
  allowed: boolean,
  session: Session,
  scope: string,
  functionName: string,
): void {
  const { dispatcher } = runtime;
  if (!dispatcher.wants(action, allowed)) return;
  dispatcher.dispatch(sessionEvent(session, action, allowed, scope, functionName));
}
