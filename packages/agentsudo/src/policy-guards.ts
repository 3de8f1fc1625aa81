import { PolicyError, type Guard, type PolicyGuardSpec, type PolicyLocator } from '@agentsudo/core';

type Guardrails = typeof import('@agentsudo/guardrails');

let guardrails: Guardrails | undefined;

/**
 * Builds the guards a policy names with `@agentsudo/guardrails`, loaded on the first guard
 * only: a policy without guards needs no such package. A guard's options are checked by
 * the guard itself; its refusal becomes a `PolicyError` at the option's place in the file.
 *
 * @example
 * ```ts
 * const guards = buildPolicyGuards(rules.guardSpecsFor('write:refunds'), locate);
 * ```
 */
export function buildPolicyGuards(specs: readonly PolicyGuardSpec[], locate: PolicyLocator): Guard[] {
  return specs.map((spec) => {
    const lib = loadGuardrails(spec, locate);
    try {
      const { pattern, flags, ...rest } = spec.options as Record<string, unknown>;
      switch (spec.name) {
        case 'promptInjection':
          return lib.promptInjection(spec.options);
        case 'pii':
          return lib.pii(spec.options);
        case 'topics':
          return lib.topics(spec.options as never);
        case 'deny.pattern':
          return lib.deny.pattern(new RegExp(pattern as string, (flags as string | undefined) ?? ''), rest);
        default:
          // validatePolicy lets only the names above through.
          throw new Error(`unknown policy guard ${String(spec.name)}`);
      }
    } catch (err) {
      throw optionError(spec, err, lib).locatedBy(locate);
    }
  });
}

function loadGuardrails(spec: PolicyGuardSpec, locate: PolicyLocator): Guardrails {
  if (guardrails !== undefined) return guardrails;
  try {
    guardrails = require('@agentsudo/guardrails') as Guardrails;
    return guardrails;
  } catch (err) {
    const missing =
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      String((err as Error).message).includes("'@agentsudo/guardrails'");
    if (!missing) throw err;
    throw new PolicyError(
      [...spec.path, spec.name],
      `the guard ${spec.name} comes from @agentsudo/guardrails, which is not installed.`,
      'Run `npm install @agentsudo/guardrails`, or remove the guard from the policy.',
      'key',
    ).locatedBy(locate);
  }
}

function optionError(spec: PolicyGuardSpec, err: unknown, lib: Guardrails): PolicyError {
  const at = [...spec.path, spec.name];
  if (err instanceof lib.UnsafePatternError) {
    return new PolicyError(
      [...at, 'pattern'],
      `${err.message}`,
      'Rewrite it without a quantifier inside a quantified group, such as (a+)+.',
    );
  }
  if (err instanceof lib.GuardOptionsError) {
    // deny.pattern's own options are pattern and flags in the file.
    const option = err.option === 'pattern' ? ['pattern'] : err.option.split('.');
    return new PolicyError([...at, ...option], err.message, 'Fix this option (see docs/guardrails.md).');
  }
  throw err;
}
