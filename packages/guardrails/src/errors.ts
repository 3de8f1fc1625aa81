/**
 * A guard was built with an option it cannot use. Thrown when the guard is made (at start-up),
 * never during a call; the message names the guard, the option, the value and what to pass.
 *
 * @example
 * ```ts
 * try { pii({ mode: 'warn' as never }); } catch (e) {
 *   if (e instanceof GuardOptionsError) console.log(e.guard, e.option); // 'pii', 'mode'
 * }
 * ```
 */
export class GuardOptionsError extends Error {
  override readonly name = 'GuardOptionsError';

  constructor(
    /** The guard being built, e.g. `pii`. */
    readonly guard: string,
    /** The option that is wrong, e.g. `limits.maxDepth`. */
    readonly option: string,
    /** What was passed. */
    readonly value: unknown,
    /** What to pass instead. */
    readonly expected: string,
  ) {
    super(`${guard}: ${option} ${describe(value)} is not usable; ${expected}`);
  }
}

/**
 * `deny.pattern()` was given a regular expression that can backtrack catastrophically
 * (a quantifier inside a quantified group, such as `/(a+)+$/`): a hostile argument could make
 * every check of it take seconds. Thrown when the guard is made.
 *
 * @example
 * ```ts
 * try { deny.pattern(/(a+)+$/); } catch (e) {
 *   if (e instanceof UnsafePatternError) console.log(e.pattern); // '/(a+)+$/'
 * }
 * ```
 */
export class UnsafePatternError extends Error {
  override readonly name = 'UnsafePatternError';

  constructor(
    /** The pattern as written, `/source/flags`. */
    readonly pattern: string,
  ) {
    super(
      `deny.pattern: ${pattern} can backtrack catastrophically (a repeated group that itself repeats, ` +
        'or more than 25 repetitions); rewrite it without nested quantifiers, e.g. /(a+)+$/ as /a+$/',
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return `(${Array.isArray(value) ? 'array' : typeof value})`;
}
