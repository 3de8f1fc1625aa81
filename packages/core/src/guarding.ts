import type { Guard, GuardContext, GuardFinding } from './guard';

/**
 * A `flag` finding as recorded in an event's `metadata.guard_flags`: which guard and which
 * rule, never the argument or the guard's message (which may describe it).
 *
 * @example
 * ```ts
 * const flag: GuardFlag = { guard: 'pii', rule: 'pii.email' };
 * ```
 */
export interface GuardFlag {
  guard: string;
  rule: string;
}

/**
 * What a call's guards decided: it may run (with the flags raised), or one guard refused it,
 * with its finding, or could not decide (it threw, or answered something that is not a
 * finding), with the `failure`.
 */
export type GuardVerdict =
  | { refusedBy?: undefined; flags: GuardFlag[] }
  | { refusedBy: Guard; finding?: GuardFinding; failure?: unknown };

/** Longest rule name kept in an event: rules are identifiers, not content. */
const MAX_RULE_LENGTH = 120;

/**
 * Runs the guards in order, each on the frozen arguments, until one refuses. Synchronous
 * while every guard is; the first guard that returns a Promise makes the rest wait for it.
 * Never throws: a guard that throws or rejects is a refusal with its `failure`.
 *
 * @example
 * ```ts
 * const verdict = runGuards([noSql], Object.freeze([...args]), { agent, scope, functionName });
 * ```
 */
export function runGuards(
  guards: readonly Guard[],
  args: readonly unknown[],
  ctx: GuardContext,
  from = 0,
  flags: GuardFlag[] = [],
): GuardVerdict | Promise<GuardVerdict> {
  for (let i = from; i < guards.length; i++) {
    const guard = guards[i];
    let answer: ReturnType<Guard['inspect']>;
    try {
      answer = guard.inspect(args, ctx);
    } catch (failure) {
      return { refusedBy: guard, failure };
    }
    if (
      answer !== null &&
      typeof answer === 'object' &&
      typeof (answer as PromiseLike<unknown>).then === 'function'
    ) {
      return Promise.resolve(answer).then(
        (finding) => judge(guard, finding, flags) ?? runGuards(guards, args, ctx, i + 1, flags),
        (failure: unknown) => ({ refusedBy: guard, failure }),
      );
    }
    const refusal = judge(guard, answer as GuardFinding | undefined, flags);
    if (refusal !== undefined) return refusal;
  }
  return { flags };
}

/** Records a flag, or returns the refusal a finding means. */
function judge(
  guard: Guard,
  finding: GuardFinding | undefined | null,
  flags: GuardFlag[],
): GuardVerdict | undefined {
  if (finding === undefined || finding === null) return undefined;
  if (
    typeof finding !== 'object' ||
    typeof finding.rule !== 'string' ||
    typeof finding.message !== 'string'
  ) {
    return {
      refusedBy: guard,
      failure: new TypeError('it answered something that is not a finding { action, rule, message }'),
    };
  }
  if (finding.action === 'flag') {
    flags.push({ guard: guard.name, rule: finding.rule.slice(0, MAX_RULE_LENGTH) });
    return undefined;
  }
  if (finding.action === 'refuse') return { refusedBy: guard, finding };
  return {
    refusedBy: guard,
    failure: new TypeError(
      `its finding's action ${JSON.stringify(finding.action)} is neither 'refuse' nor 'flag'`,
    ),
  };
}
