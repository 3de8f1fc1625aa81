import { newEventId } from './events';
import type { LimitStore, ReserveResult } from './guard';
import { limitSettings } from './limit-config';
import type { CompiledRule } from './limit-rules';
import { SlidingWindow } from './sliding-window';

/**
 * One rule of one agent: its in-process window and its key in a shared store. Keys are
 * per agent id and pattern: `rate_limit:<agent id, URI-encoded>:<pattern>` (or `budget:`),
 * so no two agents, and no two patterns, share a counter.
 */
export interface RuleState {
  readonly rule: CompiledRule;
  readonly window: SlidingWindow;
  readonly key: string;
}

/**
 * Why limits refused a call: a rule that is used up (`remaining`, `retryAfterMs`, which is
 * Infinity when the amount exceeds the rule's max), or a shared store that failed.
 */
export type LimitRefusal =
  | { state: RuleState; amount: number; remaining: number; retryAfterMs: number }
  | { state: RuleState; amount: number; failure: unknown };

/**
 * The rules that apply to one scope of one agent: every rate limit and every budget whose
 * pattern grants the scope. Rate limits are checked first, then budgets; a call takes from
 * all of them or from none.
 *
 * @example
 * ```ts
 * const refusal = plan.takeLocal(limitNow(), cost);
 * ```
 */
export class LimitPlan {
  /** The rules' windows, read on every call: one load each instead of two. */
  private readonly rateWindows: readonly SlidingWindow[];
  private readonly budgetWindows: readonly SlidingWindow[];

  constructor(
    readonly rates: readonly RuleState[],
    readonly budgets: readonly RuleState[],
  ) {
    this.rateWindows = rates.map((s) => s.window);
    this.budgetWindows = budgets.map((s) => s.window);
  }

  /** In-process, synchronous: takes 1 from each rate limit and `amount` from each budget, or refuses. */
  takeLocal(now: number, amount: number): LimitRefusal | undefined {
    const rates = this.rateWindows;
    const budgets = this.budgetWindows;
    for (let i = 0; i < rates.length; i++) {
      if (!rates[i].fits(now, 1)) return localRefusal(this.rates[i], now, 1);
    }
    for (let i = 0; i < budgets.length; i++) {
      if (!budgets[i].fits(now, amount)) return localRefusal(this.budgets[i], now, amount);
    }
    for (let i = 0; i < rates.length; i++) rates[i].add(now, 1);
    for (let i = 0; i < budgets.length; i++) budgets[i].add(now, amount);
    return undefined;
  }

  /** Gives back a failed call's budget spending (its rate-limit use stays: the attempt happened). */
  giveBackLocal(at: number, amount: number): void {
    for (const b of this.budgets) b.window.giveBack(at, amount);
  }
}

function localRefusal(state: RuleState, now: number, amount: number): LimitRefusal {
  return {
    state,
    amount,
    remaining: state.window.remaining(),
    retryAfterMs: state.window.retryAfter(now, amount),
  };
}

/** How many scopes' plans an agent remembers; scopes come from code, so this is generous. */
const MAX_PLANS = 1024;

/**
 * An agent's rate limits and budgets: its rules' windows, and the plan for each scope it
 * is checked against (worked out once per scope).
 *
 * @example
 * ```ts
 * const limits = new AgentLimits(agent.id, [...compiledLimits, ...compiledBudgets]);
 * limits.planFor('write:refunds'); // undefined when no rule applies
 * ```
 */
export class AgentLimits {
  private readonly states: RuleState[];
  private readonly plans = new Map<string, LimitPlan | null>();

  constructor(agentId: string, rules: readonly CompiledRule[]) {
    const id = encodeURIComponent(agentId);
    this.states = rules.map((rule) => ({
      rule,
      window: new SlidingWindow(rule.max, rule.windowMs),
      key: `${rule.kind}:${id}:${rule.pattern}`,
    }));
  }

  /** True when the agent has any rule at all. */
  get isEmpty(): boolean {
    return this.states.length === 0;
  }

  /** The plan for `scope`, or undefined when no rule's pattern grants it. */
  planFor(scope: string): LimitPlan | undefined {
    let plan = this.plans.get(scope);
    if (plan === undefined) {
      const matching = this.states.filter((s) => s.rule.matcher.test(scope));
      plan =
        matching.length === 0
          ? null
          : new LimitPlan(
              matching.filter((s) => s.rule.kind === 'rate_limit'),
              matching.filter((s) => s.rule.kind === 'budget'),
            );
      if (this.plans.size >= MAX_PLANS) this.plans.clear();
      this.plans.set(scope, plan);
    }
    return plan ?? undefined;
  }
}

/** What a call holds in a shared store, to settle once it has run. */
export interface SharedHold {
  readonly reservations: { state: RuleState; reservationId: string; amount: number }[];
  /** True when the store failed and `failOpen` let the call run without limits. */
  failedOpen: boolean;
}

/**
 * Reserves in the shared store: 1 from each rate limit, then `amount` from each budget, one
 * at a time, each with a fresh reservation id. A refusal, or a store that rejects or does
 * not answer in time, gives back what was already reserved and refuses, unless `failOpen`
 * is set (then the call runs, with `failedOpen` set on the hold).
 *
 * @example
 * ```ts
 * const outcome = await reserveShared(store, plan, cost);
 * if ('refusal' in outcome) deny(outcome.refusal);
 * ```
 */
export async function reserveShared(
  store: LimitStore,
  plan: LimitPlan,
  amount: number,
): Promise<{ hold: SharedHold } | { refusal: LimitRefusal; failure?: unknown }> {
  const hold: SharedHold = { reservations: [], failedOpen: false };
  const steps: [RuleState, number][] = [
    ...plan.rates.map((s): [RuleState, number] => [s, 1]),
    ...(amount > 0 ? plan.budgets.map((s): [RuleState, number] => [s, amount]) : []),
  ];
  for (const [state, take] of steps) {
    const reservationId = newEventId();
    let result: ReserveResult;
    try {
      result = checkResult(
        await withTimeout(
          store.reserve({
            key: state.key,
            amount: take,
            max: state.rule.max,
            windowMs: state.rule.windowMs,
            reservationId,
          }),
          limitSettings.timeoutMs,
        ),
      );
    } catch (failure) {
      // The reservation may have been taken before the answer was lost: give it back too.
      hold.reservations.push({ state, reservationId, amount: take });
      if (limitSettings.failOpen) {
        announceFailOpen(failure);
        settleShared(store, hold, 'give back');
        return { hold: { reservations: [], failedOpen: true } };
      }
      settleShared(store, hold, 'give back');
      return { refusal: { state, amount: take, failure } };
    }
    if (!result.ok) {
      settleShared(store, hold, 'give back');
      return {
        refusal: { state, amount: take, remaining: result.remaining, retryAfterMs: result.retryAfterMs },
      };
    }
    limitSettings.failOpenAnnounced = false;
    hold.reservations.push({ state, reservationId, amount: take });
  }
  return { hold };
}

/**
 * Settles a call's reservations, without waiting: `'ran'` keeps every amount, `'failed'`
 * gives back budget amounts (a call that threw spent nothing) and keeps rate-limit use,
 * `'give back'` returns everything (the call never ran). A settle that fails is reported
 * once on stderr; the store's own expiry then returns the reservation.
 *
 * @example
 * ```ts
 * settleShared(store, hold, threw ? 'failed' : 'ran');
 * ```
 */
export function settleShared(
  store: LimitStore,
  hold: SharedHold,
  outcome: 'ran' | 'failed' | 'give back',
): void {
  for (const { state, reservationId, amount } of hold.reservations) {
    const actual =
      outcome === 'give back' ? 0 : outcome === 'failed' && state.rule.kind === 'budget' ? 0 : amount;
    let pending: Promise<void>;
    try {
      pending = Promise.resolve(
        store.settle({ key: state.key, reservationId, actual, windowMs: state.rule.windowMs }),
      );
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch((err: unknown) => {
      if (limitSettings.settleFailureAnnounced) return;
      limitSettings.settleFailureAnnounced = true;
      process.stderr.write(
        `agentsudo: the limit store failed to settle a reservation of '${state.key}' (${describeFailure(err)}); ` +
          `it keeps the reserved amount until the window passes. Check the store. (Said once.)\n`,
      );
    });
  }
}

function checkResult(result: unknown): ReserveResult {
  const r = result as ReserveResult | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.ok !== 'boolean' ||
    typeof r.remaining !== 'number' ||
    (!r.ok && typeof r.retryAfterMs !== 'number')
  ) {
    throw new Error(`the store answered ${JSON.stringify(result)}, not { ok, remaining, retryAfterMs }`);
  }
  return r;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function announceFailOpen(failure: unknown): void {
  if (limitSettings.failOpenAnnounced) return;
  limitSettings.failOpenAnnounced = true;
  process.stderr.write(
    `agentsudo: ⚠ the limit store failed (${describeFailure(failure)}) and failOpen is set: protected calls now RUN ` +
      `WITHOUT their rate limits and budgets until the store answers again; their events carry ` +
      `metadata.limit_store_fail_open. Fix the store, or remove failOpen to refuse such calls.\n`,
  );
}

/**
 * A short description of a thrown value for messages: its name and message, cut to 200
 * characters.
 *
 * @example
 * ```ts
 * describeFailure(new Error('ECONNREFUSED')); // 'Error: ECONNREFUSED'
 * ```
 */
export function describeFailure(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
