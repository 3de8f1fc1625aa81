import { ConfigurationError } from './errors';
import { assertValidScope, compileScopes, describeValue, type ScopeMatcher } from './scopes';

/**
 * At most `max` per `per`: a duration such as `'30s'`, `'15m'`, `'1h'`, `'1d'` (or `'500ms'`),
 * or a number of milliseconds. For a rate limit `max` counts calls; for a budget it is
 * what the calls' `cost` may add up to.
 *
 * @example
 * ```ts
 * const rule: LimitRule = { max: 10, per: '1h' };
 * ```
 */
export interface LimitRule {
  max: number;
  per: string | number;
}

/**
 * Rules keyed by scope pattern (`'write:refunds'`, `'write:*'`): every rule whose pattern
 * grants a call's scope applies to it.
 *
 * @example
 * ```ts
 * const limits: LimitRules = { 'write:refunds': { max: 10, per: '1h' }, '*': { max: 1000, per: '1d' } };
 * ```
 */
export type LimitRules = Readonly<Record<string, LimitRule>>;

/**
 * Which kind of rule: `rate_limit` (from `limits`, 1 per call) or `budget` (from
 * `budgets`, the call's `cost`). The same words as the denial reasons.
 *
 * @example
 * ```ts
 * const kind: LimitKind = 'budget';
 * ```
 */
export type LimitKind = 'rate_limit' | 'budget';

/** A validated rule with its window in milliseconds and its compiled pattern. */
export interface CompiledRule {
  readonly kind: LimitKind;
  readonly pattern: string;
  readonly max: number;
  readonly per: string | number;
  readonly windowMs: number;
  readonly matcher: ScopeMatcher;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/;

/**
 * The milliseconds of a duration (`'30s'`, `'1h'`, `'1d'`, `'250ms'`, or a positive whole
 * number of milliseconds), or NaN for anything else.
 *
 * @example
 * ```ts
 * parseDuration('1h'); // 3600000
 * parseDuration('1 hour'); // NaN
 * ```
 */
export function parseDuration(per: unknown): number {
  if (typeof per === 'number') return Number.isSafeInteger(per) && per > 0 ? per : NaN;
  if (typeof per !== 'string') return NaN;
  const m = DURATION.exec(per);
  if (!m) return NaN;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return Number.isSafeInteger(ms) ? ms : NaN;
}

/**
 * Checks an agent's `limits` or `budgets` and compiles them; the error names the agent,
 * the key, the bad value and the fix.
 *
 * @example
 * ```ts
 * compileLimitRules('RefundBot', 'limits', { 'write:refunds': { max: 10, per: '1h' } });
 * ```
 */
export function compileLimitRules(
  agentName: string,
  option: 'limits' | 'budgets',
  rules: unknown,
): CompiledRule[] {
  if (rules === undefined) return [];
  const where = `new Agent('${agentName}') ${option}`;
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    throw new ConfigurationError(
      `${where} must be an object keyed by scope pattern, such as { 'write:refunds': { max: 10, per: '1h' } }; got ${describeValue(rules)}.`,
    );
  }
  const kind: LimitKind = option === 'limits' ? 'rate_limit' : 'budget';
  return Object.keys(rules).map((pattern) => {
    const at = `${where}[${JSON.stringify(pattern)}]`;
    assertValidScope(pattern, `${where} key`);
    const rule = (rules as Record<string, unknown>)[pattern];
    const problem = limitRuleProblem(kind, rule);
    if (problem !== undefined) {
      const field = problem.field === 'max' || problem.field === 'per' ? `.${problem.field}` : '';
      throw new ConfigurationError(`${at}${field} ${problem.problem}`);
    }
    const { max, per } = rule as LimitRule;
    const windowMs = parseDuration(per);
    return Object.freeze({
      kind,
      pattern,
      max,
      per,
      windowMs,
      matcher: compileScopes([pattern]),
    });
  });
}

/**
 * What is wrong with one rule, or undefined when nothing is: `field` is `max` or `per`, an
 * unknown key the rule has, or undefined when the rule itself is not an object. Shared by
 * `new Agent` and the policy file, so both refuse the same rules with the same words.
 *
 * @example
 * ```ts
 * limitRuleProblem('rate_limit', { max: 10, per: '1 hour' });
 * // { field: 'per', problem: '"1 hour" is not a duration; use ...' }
 * ```
 */
export function limitRuleProblem(
  kind: LimitKind,
  rule: unknown,
): { field: string | undefined; problem: string } | undefined {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    return {
      field: undefined,
      problem: `must be an object like { max: 10, per: '1h' }; got ${describeValue(rule)}.`,
    };
  }
  const extra = Object.keys(rule).filter((k) => k !== 'max' && k !== 'per');
  if (extra.length > 0) {
    return {
      field: extra[0],
      problem: `has unknown key ${JSON.stringify(extra[0])}; a rule has only max and per.`,
    };
  }
  const { max, per } = rule as Partial<LimitRule>;
  const goodMax =
    typeof max === 'number' &&
    Number.isFinite(max) &&
    max > 0 &&
    (kind === 'budget' || Number.isSafeInteger(max));
  if (!goodMax) {
    return {
      field: 'max',
      problem:
        kind === 'rate_limit'
          ? `${describeValue(max)} is not a number of calls; use a whole number of at least 1, such as { max: 10, per: '1h' }.`
          : `${describeValue(max)} is not an amount; use a finite number above 0, such as { max: 500, per: '1d' }.`,
    };
  }
  if (Number.isNaN(parseDuration(per))) {
    return {
      field: 'per',
      problem: `${describeValue(per)} is not a duration; use '30s', '15m', '1h', '1d' (or 'ms') or a whole number of milliseconds.`,
    };
  }
  return undefined;
}
