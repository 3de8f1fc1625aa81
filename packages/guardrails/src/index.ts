/**
 * @agentsudo/guardrails: guards that inspect a call's arguments in the process and can refuse
 * it, before it runs. Nothing leaves the process. `promptInjection()`, `pii()`, `topics()`,
 * `deny.pattern()`, and `detector()` to turn a local classifier into a guard; `evaluateGuard`
 * measures any guard on a labelled set.
 *
 * @example
 * ```ts
 * import { promptInjection, deny } from '@agentsudo/guardrails';
 *
 * class Payments {
 *   @Sudo('write:refunds', { guards: [promptInjection(), deny.pattern(/\bDROP\s+TABLE\b/i)] })
 *   async refund(orderId: string, note: string) { … }
 * }
 * ```
 */
export { promptInjection, type PromptInjectionOptions, type PromptInjectionRule } from './prompt-injection';
export { pii, type PiiKind, type PiiOptions } from './pii';
export { topics, type DeniedTopic, type TopicsOptions } from './topics';
export { deny, type DenyPatternOptions } from './deny-pattern';
export { detector, type DetectorOptions } from './detector';
export { evaluateGuard, type GuardScore, type LabelledCall } from './evaluate';
export { findInvisible, type InvisibleKind } from './invisible';
export { decodedPayloads, type DecodedPayload, type EncodingKind } from './encoded';
export { luhnValid, ibanValid } from './checksums';
export { walkArguments, DEFAULT_WALK_LIMITS, type WalkLimits, type ArgumentText, type WalkCut } from './walk';
export { type WalkOptions } from './text-guard';
export { GuardOptionsError, UnsafePatternError } from './errors';
