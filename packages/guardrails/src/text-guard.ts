import type { Guard, GuardFinding } from '@agentsudo/core';
import { GuardOptionsError } from './errors';
import { DEFAULT_WALK_LIMITS, walkArguments, type ArgumentText, type WalkCut, type WalkLimits } from './walk';

/**
 * Options every built-in guard takes: how much of the arguments to read, and what to do when
 * they are larger than that.
 *
 * @example
 * ```ts
 * const options: WalkOptions = { limits: { maxChars: 100_000 }, onOversize: 'flag' };
 * ```
 */
export interface WalkOptions {
  /** Bounds on the walk; each one left out is {@link DEFAULT_WALK_LIMITS}'s. */
  readonly limits?: Partial<WalkLimits>;
  /**
   * What a guard answers when the arguments go past `limits`: `'refuse'` (the default: what
   * was not read cannot be vouched for) or `'flag'` (let the call run, and say so on its event).
   */
  readonly onOversize?: 'refuse' | 'flag';
}

/** The bounds and oversize answer of one guard, checked once when it is built. */
export interface ResolvedWalk {
  readonly limits: WalkLimits;
  readonly onOversize: 'refuse' | 'flag';
}

/** Checks `WalkOptions` and fills in the defaults; throws {@link GuardOptionsError}. */
export function resolveWalk(guard: string, options: WalkOptions | undefined): ResolvedWalk {
  const limits = { ...DEFAULT_WALK_LIMITS, ...options?.limits };
  for (const key of Object.keys(DEFAULT_WALK_LIMITS) as (keyof WalkLimits)[]) {
    const v = limits[key];
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new GuardOptionsError(guard, `limits.${key}`, v, 'pass a positive whole number');
    }
  }
  const onOversize = options?.onOversize ?? 'refuse';
  if (onOversize !== 'refuse' && onOversize !== 'flag') {
    throw new GuardOptionsError(guard, 'onOversize', onOversize, "pass 'refuse' or 'flag'");
  }
  return { limits, onOversize };
}

/** Checks a `'refuse' | 'flag'` option; throws {@link GuardOptionsError}. */
export function resolveAction(
  guard: string,
  option: string,
  value: unknown,
  fallback: 'refuse' | 'flag',
): 'refuse' | 'flag' {
  if (value === undefined) return fallback;
  if (value !== 'refuse' && value !== 'flag') {
    throw new GuardOptionsError(guard, option, value, "pass 'refuse' or 'flag'");
  }
  return value;
}

/** The finding for arguments larger than the guard reads. */
export function oversizeFinding(guard: string, cut: WalkCut, action: 'refuse' | 'flag'): GuardFinding {
  return {
    action,
    rule: `${guard}.oversize`,
    message:
      `${cut.path} goes past ${cut.bound} (${cut.limit}), so ${guard} could not read all the arguments; ` +
      `pass smaller arguments or raise limits.${cut.bound}`,
  };
}

/**
 * Builds a synchronous guard from a check of one piece of text: the first `refuse` wins at
 * once; otherwise the first `flag`; otherwise, if the walk stopped at a bound, the oversize
 * finding.
 */
export function textGuard(
  name: string,
  walk: ResolvedWalk,
  check: (found: ArgumentText) => GuardFinding | undefined,
): Guard {
  return {
    name,
    inspect(args) {
      let refused: GuardFinding | undefined;
      let flagged: GuardFinding | undefined;
      const cut = walkArguments(args, walk.limits, (found) => {
        const finding = check(found);
        if (finding?.action === 'refuse') refused = finding;
        else if (finding && !flagged) flagged = finding;
        return refused !== undefined;
      });
      if (refused) return refused;
      if (cut && (walk.onOversize === 'refuse' || !flagged))
        return oversizeFinding(name, cut, walk.onOversize);
      return flagged;
    },
  };
}
