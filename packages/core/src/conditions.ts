import type { WhenContext } from './options';

/**
 * Asks a condition (`when`) about a call: `true` lets it on, `false` refuses it, and a
 * condition that throws (or answers anything but a boolean) cannot decide, which refuses
 * too, with the reason kept as `failure`.
 *
 * @example
 * ```ts
 * const verdict = evaluateWhen(({ args }) => (args[1] as number) <= 100, ctx);
 * if (verdict !== true) refuse(verdict === false ? undefined : verdict.failure);
 * ```
 */
export function evaluateWhen(
  when: (ctx: WhenContext) => boolean,
  ctx: WhenContext,
): true | false | { failure: unknown } {
  let answer: unknown;
  try {
    answer = when(ctx);
  } catch (failure) {
    return { failure };
  }
  if (answer === true || answer === false) return answer;
  const what =
    answer !== null &&
    typeof answer === 'object' &&
    typeof (answer as PromiseLike<unknown>).then === 'function'
      ? 'a Promise (a condition is synchronous; decide asynchronous cases in an approver)'
      : `${typeof answer} ${String(answer).slice(0, 40)}`;
  return { failure: new TypeError(`it returned ${what}, not true or false`) };
}
