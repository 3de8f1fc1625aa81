import { randomUUID } from 'node:crypto';
import { ConfigurationError } from './errors';
import { compileLimitRules, type LimitRules } from './limit-rules';
import { AgentLimits, type LimitPlan } from './limits';
import { assertValidScope, compileScopes, describeValue, type ScopeMatcher } from './scopes';
import { runInSession, type Session } from './session';

/** One hour: the default lifetime of a session. */
const DEFAULT_SESSION_TTL_MS = 60 * 60 * 1000;

/**
 * How to build an {@link Agent}.
 *
 * @example
 * ```ts
 * const options: AgentOptions = { name: 'SupportBot', scopes: ['read:*'], role: 'support' };
 * ```
 */
export interface AgentOptions {
  /** Shown in events, errors and the dashboard. */
  name: string;
  /** Granted scopes; `*` is a wildcard (`read:*`, `write:orders*`, `*`). */
  scopes: readonly string[];
  role?: string;
  /** How long a session lasts; default one hour. */
  sessionTtlMs?: number;
  /** Static facts about the agent (team, model). The only free-form data events carry. */
  metadata?: Record<string, unknown>;
  /** A fixed id, to keep one identity across restarts; default a fresh uuid. */
  id?: string;
  /**
   * Rate limits by scope pattern: `{ 'write:refunds': { max: 10, per: '1h' } }` allows at
   * most 10 calls in any hour to methods whose scope the pattern grants.
   */
  limits?: LimitRules;
  /**
   * Budgets by scope pattern: `{ 'write:refunds': { max: 500, per: '1d' } }` lets the calls'
   * `cost` (an option of `@Sudo`) add up to at most 500 in any day.
   */
  budgets?: LimitRules;
}

/**
 * An identity with scopes. Its patterns are compiled once, here; checks never compile.
 *
 * @example
 * ```ts
 * const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
 * bot.hasScope('read:orders'); // true
 * await bot.startSession(() => service.getCustomer('c-1'));
 * ```
 */
export class Agent {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly role: string | undefined;
  readonly sessionTtlMs: number;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  /** Rate limits by scope pattern, as given. */
  readonly limits: LimitRules | undefined;
  /** Budgets by scope pattern, as given. */
  readonly budgets: LimitRules | undefined;
  private readonly matcher: ScopeMatcher;
  private readonly limitState: AgentLimits;

  constructor(options: AgentOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError(
        'new Agent(options): pass an object like { name: "SupportBot", scopes: ["read:customers"] }.',
      );
    }
    const {
      name,
      scopes,
      role,
      sessionTtlMs = DEFAULT_SESSION_TTL_MS,
      metadata,
      id,
      limits,
      budgets,
    } = options;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new ConfigurationError(
        `new Agent: name must be a non-empty string, got ${JSON.stringify(name)}.`,
      );
    }
    if (!Array.isArray(scopes)) {
      throw new ConfigurationError(
        `new Agent('${name}'): scopes must be an array of strings such as ['read:customers'].`,
      );
    }
    scopes.forEach((scope, i) => assertValidScope(scope, `new Agent('${name}') scopes[${i}]`));
    if (typeof sessionTtlMs !== 'number' || !Number.isFinite(sessionTtlMs) || sessionTtlMs <= 0) {
      throw new ConfigurationError(
        `new Agent('${name}'): sessionTtlMs must be a positive number of milliseconds, got ${String(sessionTtlMs)}.`,
      );
    }
    if (role !== undefined && typeof role !== 'string') {
      throw new ConfigurationError(`new Agent('${name}'): role must be a string, got ${typeof role}.`);
    }
    if (
      metadata !== undefined &&
      (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    ) {
      throw new ConfigurationError(`new Agent('${name}'): metadata must be a plain object.`);
    }
    const rules = [
      ...compileLimitRules(name, 'limits', limits),
      ...compileLimitRules(name, 'budgets', budgets),
    ];
    this.id = id ?? randomUUID();
    this.name = name;
    this.scopes = Object.freeze([...scopes]);
    this.role = role;
    this.sessionTtlMs = sessionTtlMs;
    this.metadata = metadata ? Object.freeze({ ...metadata }) : undefined;
    this.matcher = compileScopes(this.scopes);
    this.limits = limits === undefined ? undefined : freezeRules(limits);
    this.budgets = budgets === undefined ? undefined : freezeRules(budgets);
    this.limitState = new AgentLimits(String(this.id), rules);
  }

  /**
   * @internal The rate limits and budgets that apply to `scope` (worked out once per
   * scope), or undefined when none does.
   */
  limitPlan(scope: string): LimitPlan | undefined {
    return this.limitState.isEmpty ? undefined : this.limitState.planFor(scope);
  }

  /**
   * True when one of the agent's patterns grants `scope`.
   *
   * @example
   * ```ts
   * new Agent({ name: 'A', scopes: ['write:orders*'] }).hasScope('write:orders:refund'); // true
   * ```
   */
  hasScope(scope: string): boolean {
    if (typeof scope !== 'string') {
      throw new TypeError(
        `hasScope() takes a scope string such as 'read:customers', got ${describeValue(scope)}.`,
      );
    }
    return this.matcher.test(scope);
  }

  /**
   * Runs `fn` (sync or async) as this agent and returns its result: a Promise when `fn`
   * is async. A nested session of another agent wins inside it; the outer one is back
   * after. Emits `session_start` and `session_end`.
   *
   * @example
   * ```ts
   * const customer = await bot.startSession(async () => service.getCustomer('c-1'));
   * ```
   */
  startSession<T>(fn: (session: Session) => T): T {
    if (typeof fn !== 'function') {
      throw new ConfigurationError(`agent.startSession(fn): fn must be a function, got ${typeof fn}.`);
    }
    return runInSession(this, fn);
  }
}

function freezeRules(rules: LimitRules): LimitRules {
  return Object.freeze(
    Object.fromEntries(
      Object.entries(rules).map(([pattern, { max, per }]) => [pattern, Object.freeze({ max, per })]),
    ),
  );
}
