import type { Guard, GuardFinding } from '@agentsudo/core';
import { GuardOptionsError } from './errors';
import { oversizeFinding, resolveAction, resolveWalk, type WalkOptions } from './text-guard';
import { walkArguments, type ArgumentText } from './walk';

/**
 * A local classifier as a guard: `classify` scores one piece of text from 0 (benign) to 1
 * (hostile), synchronously or with a Promise (a model). Scores at or above `threshold` make
 * a finding with rule `<name>.detected`.
 *
 * @example
 * ```ts
 * const options: DetectorOptions = { name: 'injection_model', classify: (text) => model.score(text), threshold: 0.8 };
 * ```
 */
export interface DetectorOptions extends WalkOptions {
  /** The guard's name, in its rules and messages: lower-case letters, digits and `_`. */
  readonly name: string;
  /** Scores one text from 0 to 1. A throw, a rejection or a score outside 0–1 refuses the call. */
  readonly classify: (text: string) => number | Promise<number>;
  /** From 0 to 1; default 0.5. */
  readonly threshold?: number;
  /** `'refuse'` (the default) stops the call; `'flag'` lets it run and records the finding. */
  readonly action?: 'refuse' | 'flag';
  /**
   * Texts longer than this are scored in pieces of this many characters (default 2000, about
   * what a 512-token model reads), so a model never sees more than it was trained on.
   */
  readonly chunkChars?: number;
  /** Texts shorter than this are not scored (default 1): ids and numbers rarely carry intent. */
  readonly minChars?: number;
}

const NAME = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Turns any local classifier into a {@link Guard}: every string in the arguments (up to the
 * walk's limits, in pieces of `chunkChars`) is scored, one after another, and the first score
 * at or above `threshold` makes the finding. A synchronous `classify` keeps the guard
 * synchronous; one that returns a Promise makes it asynchronous. A classifier that throws,
 * rejects or answers something that is not a number from 0 to 1 refuses the call (rule
 * `<name>.error`): a decision that cannot be made denies. docs/guardrails.md shows one that
 * runs a model from a folder you supply.
 *
 * @example
 * ```ts
 * const model = detector({ name: 'injection_model', classify: (text) => myModel.score(text), threshold: 0.9 });
 * @Sudo('write:refunds', { guards: [model] })
 * async refund(orderId: string, note: string) { … }
 * ```
 */
export function detector(options: DetectorOptions): Guard {
  const name = options?.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new GuardOptionsError(
      'detector',
      'name',
      name,
      'pass lower-case letters, digits and _ (at most 40), starting with a letter',
    );
  }
  const walk = resolveWalk(name, options);
  const action = resolveAction(name, 'action', options.action, 'refuse');
  const { classify } = options;
  if (typeof classify !== 'function') {
    throw new GuardOptionsError(name, 'classify', classify, 'pass a function (text) => score from 0 to 1');
  }
  const threshold = options.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw new GuardOptionsError(name, 'threshold', threshold, 'pass a number from 0 to 1');
  }
  const chunkChars = options.chunkChars ?? 2000;
  const minChars = options.minChars ?? 1;
  for (const [option, value] of [
    ['chunkChars', chunkChars],
    ['minChars', minChars],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new GuardOptionsError(name, option, value, 'pass a positive whole number');
  }

  const failed = (path: string, why: string): GuardFinding => ({
    action: 'refuse',
    rule: `${name}.error`,
    message: `${name} could not score ${path} (${why}), so the call is refused; fix the classifier or remove the guard`,
  });
  /** A finding for one score, or `undefined` when it is under the threshold. */
  const judge = (score: unknown, path: string): GuardFinding | undefined => {
    if (typeof score !== 'number' || !(score >= 0 && score <= 1))
      return failed(path, 'its score is not a number from 0 to 1');
    if (score < threshold) return undefined;
    return {
      action,
      rule: `${name}.detected`,
      message: `${path} scored ${score.toFixed(2)} (threshold ${threshold}) by ${name}`,
    };
  };

  return {
    name,
    inspect(args) {
      const pieces: ArgumentText[] = [];
      const cut = walkArguments(args, walk.limits, ({ path, text }) => {
        if (text.length < minChars) return false;
        for (let at = 0; at < text.length; at += chunkChars)
          pieces.push({ path, text: text.slice(at, at + chunkChars) });
        return false;
      });
      const last = (flagged: GuardFinding | undefined) =>
        cut && (walk.onOversize === 'refuse' || !flagged)
          ? oversizeFinding(name, cut, walk.onOversize)
          : flagged;

      let flagged: GuardFinding | undefined;
      for (let i = 0; i < pieces.length; i++) {
        let score: number | Promise<number>;
        try {
          score = classify(pieces[i].text);
        } catch {
          return failed(pieces[i].path, 'the classifier threw');
        }
        // The first Promise turns the rest of the walk asynchronous.
        if (isPromise(score)) return scoreRest(score, i);
        const finding = judge(score, pieces[i].path);
        if (finding?.action === 'refuse') return finding;
        flagged ??= finding;
      }
      return last(flagged);

      async function scoreRest(first: Promise<number>, from: number): Promise<GuardFinding | undefined> {
        let pending: number | Promise<number> = first;
        for (let i = from; i < pieces.length; i++) {
          let score: number;
          try {
            score = await (i === from ? pending : (pending = classify(pieces[i].text)));
          } catch {
            return failed(pieces[i].path, 'the classifier failed');
          }
          const finding = judge(score, pieces[i].path);
          if (finding?.action === 'refuse') return finding;
          flagged ??= finding;
        }
        return last(flagged);
      }
    },
  };
}

function isPromise(value: unknown): value is Promise<number> {
  return typeof (value as Promise<number> | null)?.then === 'function';
}
