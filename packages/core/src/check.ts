import type { Agent } from './agent';
import { evaluateWhen } from './conditions';
import {
  ApprovalPendingError,
  NoSessionError,
  PermissionDeniedError,
  SessionExpiredError,
  type DenialDetails,
} from './errors';
import type { SudoAction } from './events';
import type { DenialReason, Guard } from './guard';
import { runGuards, type GuardFlag, type GuardVerdict } from './guarding';
import { limitNow, limitSettings } from './limit-config';
import {
  describeFailure,
  reserveShared,
  settleShared,
  type LimitPlan,
  type LimitRefusal,
  type SharedHold,
} from './limits';
import type { ApprovalVerdict, Approver, SudoOptions, WhenContext } from './options';
import { reportNoSessionCall } from './refusals';
import { runtime } from './runtime';
import { describeValue } from './scopes';
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

/** A protected function's options, read once when it is protected. */
interface CheckSpec {
  readonly onDeny: 'raise' | 'log' | Approver;
  readonly when: ((ctx: WhenContext) => boolean) | undefined;
  readonly guards: readonly Guard[] | undefined;
  readonly cost: ((...args: any[]) => number) | undefined;
}

/** The cached answer for an agent that has the scope and nothing else to check. */
const GRANTED = Object.freeze({ granted: true });
/** The cached answer for an agent that needs the full check (`decide`). */
const FULL_CHECK = null;

/**
 * Wraps `original` so each call is checked against `scope`. The allowed path is one
 * AsyncLocalStorage lookup, a flag read (expiry is a timer, not a clock read per call)
 * and a cached answer for the last agent; it builds an event only when a transport wants
 * allowed checks. An agent with in-process rate limits or budgets for the scope takes a
 * second short path (a clock read and its windows); everything else lives in `decide()`.
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
  const spec: CheckSpec = {
    onDeny: options.onDeny ?? 'raise',
    when: options.when,
    guards: options.guards && options.guards.length > 0 ? Object.freeze([...options.guards]) : undefined,
    cost: options.cost,
  };
  const narrowed = spec.when !== undefined || spec.guards !== undefined;
  // An async function's callers expect failures as rejections, not synchronous throws.
  const rejectsInstead = original instanceof AsyncFunction;
  const refuse = (err: Error): Promise<never> => {
    if (rejectsInstead) return Promise.reject(err);
    throw err;
  };
  // A one-entry cache of the last agent's answer: a pointer compare instead of a lookup.
  // GRANTED: run; a LimitPlan: take from its windows, then run; FULL_CHECK: decide().
  let lastAgent: Agent | undefined;
  let lastState: typeof GRANTED | LimitPlan | null = FULL_CHECK;
  const wrapper = function (this: unknown) {
    const session = storage.getStore();
    if (session !== undefined && session.live) {
      const agent = session.agent;
      if (agent !== lastAgent) {
        lastState = narrowed || !agent.hasScope(scope) ? FULL_CHECK : (agent.limitPlan(scope) ?? GRANTED);
        lastAgent = agent;
      }
      if (lastState === GRANTED) {
        if (dispatcher.wantsAllowedChecks) emitCheck('permission_check', true, session, scope, nameOf(this));
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as unknown[]);
      }
      if (lastState !== FULL_CHECK && limitSettings.store === undefined) {
        // The scope, and in-process limits: take from their windows, then run. Inline, with
        // `apply(this, arguments)`, so no argument list is built on this path either.
        const plan = lastState as LimitPlan;
        let amount = 0;
        if (plan.budgets.length !== 0) {
          let cause: unknown;
          try {
            // eslint-disable-next-line prefer-rest-params
            amount = spec.cost === undefined ? NaN : spec.cost.apply(this, arguments as unknown as unknown[]);
          } catch (err) {
            cause = err ?? new Error(String(err));
          }
          if (cause !== undefined || !isCost(amount))
            return refuse(costDenial(spec, amount, cause, session, scope, nameOf(this), plan));
        }
        const now = limitNow();
        const refusal = plan.takeLocal(now, amount);
        if (refusal !== undefined) return refuse(limitDenial(session, scope, nameOf(this), refusal));
        if (dispatcher.wantsAllowedChecks) emitCheck('permission_check', true, session, scope, nameOf(this));
        // eslint-disable-next-line prefer-rest-params
        if (amount === 0) return original.apply(this, arguments as unknown as unknown[]);
        let result: unknown;
        try {
          // eslint-disable-next-line prefer-rest-params
          result = original.apply(this, arguments as unknown as unknown[]);
        } catch (err) {
          plan.giveBackLocal(now, amount);
          throw err;
        }
        return isThenable(result) ? givenBackOnRejection(result, plan, now, amount) : result;
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return checked(this, arguments, session);
  };
  // Everything but the two short paths, kept out of the wrapper so it stays small.
  const checked = (thisArg: unknown, args: IArguments, session: Session | undefined): unknown => {
    try {
      return decide(
        original,
        thisArg,
        Array.prototype.slice.call(args),
        session,
        scope,
        spec,
        nameOf(thisArg),
        rejectsInstead,
      );
    } catch (err) {
      if (rejectsInstead) return Promise.reject(err);
      throw err;
    }
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  return wrapper as unknown as F;
}

/**
 * A call that took `amount` from its budgets at `now` and returned a promise: a rejection
 * gives the amount back (a call that failed spent nothing).
 */
function givenBackOnRejection(result: PromiseLike<unknown>, plan: LimitPlan, now: number, amount: number) {
  return Promise.resolve(result).then(undefined, (err: unknown) => {
    plan.giveBackLocal(now, amount);
    throw err;
  });
}

/** Runs a call that took `amount` from its budgets at `now`, giving it back if the call fails. */
function runCharged(
  original: Function,
  thisArg: unknown,
  args: ArrayLike<unknown>,
  plan: LimitPlan,
  now: number,
  amount: number,
): unknown {
  if (amount === 0) return callWith(original, thisArg, args);
  let result: unknown;
  try {
    result = callWith(original, thisArg, args);
  } catch (err) {
    plan.giveBackLocal(now, amount);
    throw err;
  }
  return isThenable(result) ? givenBackOnRejection(result, plan, now, amount) : result;
}

/** A usable cost: a finite number of at least 0. */
function isCost(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value !== Infinity;
}

/**
 * The call's cost for its budgets, validated; refuses (reason `budget`) when the method has
 * no `cost`, or its cost throws or is not a finite number of at least 0.
 */
function costOf(
  spec: CheckSpec,
  thisArg: unknown,
  args: ArrayLike<unknown>,
  session: Session,
  scope: string,
  functionName: string,
  plan: LimitPlan,
): number {
  let value: unknown = NaN;
  let cause: unknown;
  if (spec.cost !== undefined) {
    try {
      value = callWith(spec.cost, thisArg, args);
    } catch (err) {
      cause = err ?? new Error(String(err));
    }
  }
  if (cause === undefined && isCost(value)) return value;
  throw costDenial(spec, value, cause, session, scope, functionName, plan);
}

/** The `budget` refusal of a call whose cost is missing, threw (`cause`) or is not usable. */
function costDenial(
  spec: CheckSpec,
  value: unknown,
  cause: unknown,
  session: Session,
  scope: string,
  functionName: string,
  plan: LimitPlan,
): PermissionDeniedError {
  const failure =
    spec.cost === undefined
      ? `${functionName} has no cost option, so what it spends is unknown; give it one, such as ` +
        `@Sudo('${scope}', { cost: (...args) => amount }) (return 0 for calls that spend nothing)`
      : cause !== undefined
        ? `the cost option of ${functionName} threw (${describeFailure(cause)})`
        : `the cost option of ${functionName} returned ${describeValue(value)}, not a finite number of at least 0; fix it`;
  return limitDenial(
    session,
    scope,
    functionName,
    { state: plan.budgets[0], amount: NaN, failure: cause },
    failure,
  );
}

/** Builds (and reports in an event) the refusal of a rate limit or budget. */
function limitDenial(
  session: Session,
  scope: string,
  functionName: string,
  refusal: LimitRefusal,
  failureText?: string,
): PermissionDeniedError {
  const { rule } = refusal.state;
  const reason = rule.kind;
  const limit = { kind: rule.kind, pattern: rule.pattern, max: rule.max, per: rule.per };
  let details: DenialFields;
  if (failureText !== undefined) details = { limit, failure: failureText };
  else if ('remaining' in refusal) {
    details = {
      limit,
      remaining: refusal.remaining,
      retryAfterMs: refusal.retryAfterMs,
      cost: reason === 'budget' ? refusal.amount : undefined,
    };
  } else {
    details = {
      limit,
      failure: `the limit store failed (${describeFailure(refusal.failure)}); configure({ failOpen: true }) runs calls while the store is down`,
    };
  }
  const cause = 'failure' in refusal ? refusal.failure : undefined;
  return denial(session, scope, functionName, reason, details, cause, { limit: rule.pattern });
}

/** Every outcome other than the short paths, in order: session, scope, when, guards, limits, budgets. */
function decide(
  original: Function,
  thisArg: unknown,
  args: unknown[],
  session: Session | undefined,
  scope: string,
  spec: CheckSpec,
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
  const call: Call = {
    original,
    thisArg,
    args,
    frozenArgs: undefined,
    session,
    scope,
    spec,
    functionName,
    isAsync,
  };
  if (!agent.hasScope(scope)) return onRefusal(call, 'scope');
  if (spec.when !== undefined) {
    const verdict = evaluateWhen(spec.when, { agent, scope, functionName, args: frozenArgsOf(call) });
    if (verdict === false) return onRefusal(call, 'condition');
    if (verdict !== true) {
      // A condition that cannot decide refuses: it is neither audited nor sent to an approver.
      throw denial(
        session,
        scope,
        functionName,
        'condition',
        { failure: describeFailure(verdict.failure) },
        verdict.failure,
      );
    }
  }
  return afterConditions(call, false);
}

/** What a refusal adds to the fields every denial has. */
type DenialFields = Omit<DenialDetails, 'agentName' | 'scope' | 'functionName' | 'grantedScopes'>;

/** One call on its way through `decide()`. */
interface Call {
  readonly original: Function;
  readonly thisArg: unknown;
  readonly args: unknown[];
  /** One frozen copy of the arguments, shared by the condition, the guards and the approver. */
  frozenArgs: readonly unknown[] | undefined;
  readonly session: Session;
  readonly scope: string;
  readonly spec: CheckSpec;
  readonly functionName: string;
  /** The protected function is declared `async` (approvers may keep such a call waiting). */
  readonly isAsync: boolean;
}

function frozenArgsOf(call: Call): readonly unknown[] {
  return (call.frozenArgs ??= Object.freeze([...call.args]));
}

/**
 * A `scope` or `condition` refusal, handled by `onDeny`: raised, audited (`'log'`) or sent
 * to the approver. An audited or approved call goes on to the guards and limits.
 */
function onRefusal(call: Call, reason: 'scope' | 'condition'): unknown {
  const { session, scope, functionName, spec } = call;
  const onDeny = spec.onDeny;
  const agent = session.agent;
  if (onDeny === 'raise') throw denial(session, scope, functionName, reason, {});
  if (onDeny === 'log') {
    emitCheck('audit_violation', false, session, scope, functionName, reason);
    return afterConditions(call, true);
  }
  const denied = (verdict: ApprovalVerdict | undefined, cause?: unknown) => {
    // A verdict that is `silent` was recorded by the approver's own system (the server).
    if (!verdict?.silent)
      emitCheck('approval_denied', false, session, scope, functionName, 'approval', undefined, verdict);
    return denial(
      session,
      scope,
      functionName,
      'approval',
      { byApprover: true, approvalFor: reason },
      cause,
      undefined,
      null,
    );
  };
  const settle = (answer: boolean | ApprovalVerdict) => {
    const verdict = typeof answer === 'object' && answer !== null ? answer : undefined;
    const approved = verdict ? verdict.approved === true : answer === true;
    if (approved) {
      if (!verdict?.silent)
        emitCheck('approval_granted', true, session, scope, functionName, undefined, undefined, verdict);
      return afterConditions(call, true);
    }
    throw denied(verdict, verdict?.cause);
  };
  const refuse = (cause: unknown) => {
    // Not a refusal: the decision is still to come, so the caller gets it as is.
    if (cause instanceof ApprovalPendingError) throw cause;
    throw denied(undefined, cause);
  };
  let verdict: boolean | ApprovalVerdict | Promise<boolean | ApprovalVerdict>;
  try {
    verdict = onDeny({
      agent,
      session,
      scope,
      functionName,
      args: frozenArgsOf(call),
      reason,
      isAsync: call.isAsync,
    });
  } catch (err) {
    return refuse(err);
  }
  if (isThenable(verdict)) {
    return Promise.resolve(verdict).then(settle, refuse);
  }
  return settle(verdict);
}

/** After the scope and condition: guards, then limits and budgets, then the call. */
function afterConditions(call: Call, overridden: boolean): unknown {
  const guards = call.spec.guards;
  if (guards === undefined) return afterGuards(call, overridden, undefined);
  const ctx = { agent: call.session.agent, scope: call.scope, functionName: call.functionName };
  const verdict = runGuards(guards, frozenArgsOf(call), ctx);
  if (isThenable(verdict)) return verdict.then((v) => afterGuards(call, overridden, v));
  return afterGuards(call, overridden, verdict);
}

function afterGuards(call: Call, overridden: boolean, verdict: GuardVerdict | undefined): unknown {
  const { session, scope, functionName, original, thisArg, args } = call;
  if (verdict?.refusedBy !== undefined) {
    const guard = verdict.refusedBy.name;
    const rule = verdict.finding?.rule ?? `${guard}.error`;
    throw denial(
      session,
      scope,
      functionName,
      'guardrail',
      verdict.failure !== undefined
        ? { guard, rule, failure: describeFailure(verdict.failure) }
        : { guard, rule, guardMessage: verdict.finding?.message },
      verdict.failure,
      { guardrail: { guard, rule } },
    );
  }
  const flags = verdict !== undefined && verdict.flags.length > 0 ? verdict.flags : undefined;
  const plan = session.agent.limitPlan(scope);
  if (plan === undefined) {
    if (!overridden) emitAllowed(session, scope, functionName, flags, false);
    return original.apply(thisArg, args);
  }
  const amount =
    plan.budgets.length === 0 ? 0 : costOf(call.spec, thisArg, args, session, scope, functionName, plan);
  const store = limitSettings.store;
  if (store === undefined) {
    const now = limitNow();
    const refusal = plan.takeLocal(now, amount);
    if (refusal !== undefined) throw limitDenial(session, scope, functionName, refusal);
    if (!overridden) emitAllowed(session, scope, functionName, flags, false);
    return runCharged(original, thisArg, args, plan, now, amount);
  }
  return reserveShared(store, plan, amount).then((outcome) => {
    if ('refusal' in outcome) throw limitDenial(session, scope, functionName, outcome.refusal);
    if (!overridden) emitAllowed(session, scope, functionName, flags, outcome.hold.failedOpen);
    return runSettled(call, outcome.hold);
  });
}

/** Runs a call that holds reservations in the shared store, then settles them. */
function runSettled(call: Call, hold: SharedHold): unknown {
  const store = limitSettings.store;
  const settle = (outcome: 'ran' | 'failed') => {
    if (store !== undefined && hold.reservations.length > 0) settleShared(store, hold, outcome);
  };
  let result: unknown;
  try {
    result = call.original.apply(call.thisArg, call.args);
  } catch (err) {
    settle('failed');
    throw err;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (value) => {
        settle('ran');
        return value;
      },
      (err: unknown) => {
        settle('failed');
        throw err;
      },
    );
  }
  settle('ran');
  return result;
}

function emitAllowed(
  session: Session,
  scope: string,
  functionName: string,
  flags: GuardFlag[] | undefined,
  failedOpen: boolean,
): void {
  const extra: Record<string, unknown> | undefined =
    flags === undefined && !failedOpen
      ? undefined
      : {
          ...(flags === undefined ? {} : { guard_flags: flags }),
          ...(failedOpen ? { limit_store_fail_open: true } : {}),
        };
  emitCheck('permission_check', true, session, scope, functionName, undefined, extra);
}

/**
 * Reports a refusal in its event (`permission_check`, or `approval_denied`, with its
 * reason) and returns the error to throw.
 */
function denial(
  session: Session,
  scope: string,
  functionName: string,
  reason: DenialReason,
  details: DenialFields,
  cause?: unknown,
  metadata?: Record<string, unknown>,
  /** The event to record; null when the caller records its own. */
  action: SudoAction | null = 'permission_check',
): PermissionDeniedError {
  if (action !== null) emitCheck(action, false, session, scope, functionName, reason, metadata);
  const agent = session.agent;
  const err = new PermissionDeniedError({
    ...details,
    agentName: agent.name,
    scope,
    functionName,
    grantedScopes: agent.scopes,
    reason,
  });
  if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
  return err;
}

function emitCheck(
  action: SudoAction,
  allowed: boolean,
  session: Session,
  scope: string,
  functionName: string,
  reason?: DenialReason,
  metadata?: Record<string, unknown>,
  approval?: Pick<ApprovalVerdict, 'approvalId' | 'decidedBy'>,
): void {
  const { dispatcher } = runtime;
  if (!dispatcher.wants(action, allowed)) return;
  const event = sessionEvent(session, action, allowed, scope, functionName);
  if (reason !== undefined) event.reason = reason;
  if (metadata !== undefined) event.metadata = { ...event.metadata, ...metadata };
  if (typeof approval?.approvalId === 'string') event.approvalId = approval.approvalId;
  if (typeof approval?.decidedBy === 'string') event.decidedBy = approval.decidedBy;
  dispatcher.dispatch(event);
}

/**
 * `fn.apply(thisArg, args)` for an `arguments` object handed down from the wrapper: a direct
 * call for up to four arguments, which spares building an argument list from an array-like.
 */
function callWith(fn: Function, thisArg: unknown, args: ArrayLike<unknown>): unknown {
  switch (args.length) {
    case 0:
      return fn.call(thisArg);
    case 1:
      return fn.call(thisArg, args[0]);
    case 2:
      return fn.call(thisArg, args[0], args[1]);
    case 3:
      return fn.call(thisArg, args[0], args[1], args[2]);
    case 4:
      return fn.call(thisArg, args[0], args[1], args[2], args[3]);
    default:
      return fn.apply(thisArg, args as unknown[]);
  }
}

function isThenable(value: unknown): value is PromiseLike<any> {
  return (
    value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
