import type { Guard } from '@agentsudo/core';
import { Script, createContext } from 'node:vm';
import { GuardOptionsError, UnsafePatternError } from './errors';
import { walkArguments, type ArgumentText } from './walk';
import { oversizeFinding, resolveAction, resolveWalk, type WalkOptions } from './text-guard';

/**
 * Options of {@link deny.pattern}.
 *
 * @example
 * ```ts
 * const options: DenyPatternOptions = { rule: 'sql_drop', message: 'drops a table', timeoutMs: 20 };
 * ```
 */
export interface DenyPatternOptions extends WalkOptions {
  /** The finding's rule is `deny_pattern.<rule>`; `match` unless told. */
  readonly rule?: string;
  /** What the argument does, for the finding's message: "args[0] <message>". */
  readonly message?: string;
  /** `'refuse'` (the default) stops the call; `'flag'` lets it run and records the finding. */
  readonly action?: 'refuse' | 'flag';
  /**
   * How long one call's arguments may take to match, in milliseconds (default 50). A match
   * that takes longer is stopped and the call refused: a decision that cannot be made denies.
   */
  readonly timeoutMs?: number;
}

const RULE = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Where matching runs: a context of its own, so that the timeout can stop a regular
 * expression mid-way (V8 checks for interrupts while backtracking), which nothing can in the
 * main context. The script takes the pattern and the texts, and answers the index of the
 * first text that matches, or -1.
 */
const MATCH_FIRST = new Script(
  '(() => { for (let i = 0; i < texts.length; i++) { pattern.lastIndex = 0; if (pattern.test(texts[i])) return i; } return -1; })()',
);

/** Loaded on first use, so importing the package does not pay for it. */
let isSafe: ((re: RegExp) => boolean) | undefined;

function pattern(re: RegExp, options: DenyPatternOptions = {}): Guard {
  const name = 'deny_pattern';
  if (!(re instanceof RegExp)) {
    throw new GuardOptionsError(name, 'pattern', re, 'pass a RegExp, e.g. /\\bDROP\\s+TABLE\\b/i');
  }
  isSafe ??= require('safe-regex2') as (re: RegExp) => boolean;
  if (!isSafe(re)) throw new UnsafePatternError(String(re));
  const walk = resolveWalk(name, options);
  const action = resolveAction(name, 'action', options.action, 'refuse');
  const rule = options.rule ?? 'match';
  if (typeof rule !== 'string' || !RULE.test(rule)) {
    throw new GuardOptionsError(
      name,
      'rule',
      rule,
      'pass lower-case letters, digits and _ (at most 40), starting with a letter',
    );
  }
  const says = options.message ?? `matches ${String(re)}`;
  if (typeof says !== 'string' || says.length === 0 || says.length > 200) {
    throw new GuardOptionsError(name, 'message', says, 'pass a sentence of 1 to 200 characters');
  }
  const timeoutMs = options.timeoutMs ?? 50;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new GuardOptionsError(name, 'timeoutMs', timeoutMs, 'pass whole milliseconds from 1 to 60000');
  }
  // Without g or y, test() keeps no position between calls; the pattern is the user's own.
  const own = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
  const context = createContext({ pattern: own, texts: [] as string[] });

  return {
    name,
    inspect(args) {
      const found: ArgumentText[] = [];
      const cut = walkArguments(args, walk.limits, (t) => (found.push(t), false));
      context.texts = found.map((t) => t.text);
      let index: number;
      try {
        index = MATCH_FIRST.runInContext(context, { timeout: timeoutMs }) as number;
      } catch (error) {
        const timedOut = (error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
        return {
          action: 'refuse',
          rule: `${name}.${timedOut ? 'timeout' : 'error'}`,
          message: timedOut
            ? `matching ${String(re)} took over ${timeoutMs} ms, so the arguments could not be checked; make the pattern linear or raise timeoutMs`
            : `matching ${String(re)} failed, so the arguments could not be checked; check the pattern`,
        };
      } finally {
        context.texts = [];
      }
      if (index >= 0) return { action, rule: `${name}.${rule}`, message: `${found[index].path} ${says}` };
      return cut ? oversizeFinding(name, cut, walk.onOversize) : undefined;
    },
  };
}

/**
 * Guards that refuse by a rule you write. `deny.pattern(re)` refuses a call when any string in
 * its arguments matches `re`. Patterns are checked when the guard is made: one with nested
 * quantifiers (`/(a+)+$/`), which can backtrack for seconds on a hostile argument, throws
 * {@link UnsafePatternError} (checked with `safe-regex2`). Patterns that pass the check but
 * still backtrack badly (`/(a|a)*$/`) are stopped at run time after `timeoutMs`, and the call
 * is refused.
 *
 * @example
 * ```ts
 * @Sudo('write:queries', { guards: [deny.pattern(/\bDROP\s+TABLE\b/i, { rule: 'sql_drop' })] })
 * runQuery(sql: string) { … }
 * ```
 */
export const deny = Object.freeze({ pattern });
