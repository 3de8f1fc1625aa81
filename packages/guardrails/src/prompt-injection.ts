import type { Guard, GuardFinding } from '@agentsudo/core';
import { decodedPayloads } from './encoded';
import { GuardOptionsError } from './errors';
import { fold, unmask } from './fold';
import { PHRASE_FAMILIES, type PhraseFamily } from './injection-phrases';
import { findInvisible, revealTags } from './invisible';
import { resolveAction, resolveWalk, textGuard, type WalkOptions } from './text-guard';

/**
 * The rules of {@link promptInjection}; a finding's `rule` is `prompt_injection.<rule>`.
 *
 * @example
 * ```ts
 * promptInjection({ skip: ['invisible'] }); // e.g. for text pasted from right-to-left editors
 * ```
 */
export type PromptInjectionRule =
  'override' | 'prompt_leak' | 'role_play' | 'fake_delimiter' | 'encoded' | 'invisible';

const RULES: readonly PromptInjectionRule[] = [
  'override',
  'prompt_leak',
  'role_play',
  'fake_delimiter',
  'encoded',
  'invisible',
];

/**
 * Options of {@link promptInjection}.
 *
 * @example
 * ```ts
 * const options: PromptInjectionOptions = { action: 'flag', skip: ['fake_delimiter'] };
 * ```
 */
export interface PromptInjectionOptions extends WalkOptions {
  /** `'refuse'` (the default) stops the call; `'flag'` lets it run and records the finding. */
  readonly action?: 'refuse' | 'flag';
  /** Rules not to apply. */
  readonly skip?: readonly PromptInjectionRule[];
}

const INVISIBLE_SAYS = {
  tag: 'holds invisible tag characters (hidden ASCII text)',
  bidi: 'holds bidi control characters that reorder what a reader sees',
  zero_width: 'holds zero-width characters that split words or hide a message',
  variation: 'holds a run of variation selectors (data hidden after a character)',
};

/** Decoded text may itself be encoded once more (base64 of URL escapes, …); no deeper. */
const MAX_DECODE_DEPTH = 2;

/**
 * A guard that refuses arguments carrying a prompt injection, by heuristics that run in the
 * process in microseconds: instruction overrides ("ignore all previous instructions", in
 * English and nine other languages), requests for the system prompt, persona switches ("you
 * are now DAN", "act as the system"), fake chat-template turns (`<|im_start|>system`),
 * base64, hex or URL-escaped blobs that decode to any of those, and invisible Unicode (tag
 * characters, bidi controls, zero-width characters inside words). Text is read after NFKC
 * normalisation with invisible characters removed, so fullwidth letters, zero-width splits
 * and Cyrillic look-alikes inside Latin words do not hide a phrase.
 *
 * Every string, number and object key in the arguments is read, up to `limits`. A finding
 * names the argument (`args[1].body`) and the rule, never the text. What it catches and
 * misses, with measured precision and recall: docs/guardrails.md.
 *
 * @example
 * ```ts
 * @Sudo('write:refunds', { guards: [promptInjection()] })
 * async refund(orderId: string, note: string) { … }
 * ```
 */
export function promptInjection(options: PromptInjectionOptions = {}): Guard {
  const name = 'prompt_injection';
  const walk = resolveWalk(name, options);
  const action = resolveAction(name, 'action', options.action, 'refuse');
  const skip = new Set(options.skip ?? []);
  for (const rule of skip) {
    if (!RULES.includes(rule)) {
      throw new GuardOptionsError(name, 'skip', rule, `pass rules from: ${RULES.join(', ')}`);
    }
  }
  const families = PHRASE_FAMILIES.filter((f) => !skip.has(f.family));
  const finding = (rule: PromptInjectionRule, path: string, says: string): GuardFinding => ({
    action,
    rule: `${name}.${rule}`,
    message: `${path} ${says}`,
  });

  return textGuard(name, walk, ({ path, text }) => {
    if (!skip.has('invisible')) {
      const hidden = findInvisible(text);
      if (hidden) return finding('invisible', path, INVISIBLE_SAYS[hidden]);
    }
    const phrase = matchPhrase(text, families);
    if (phrase) return finding(phrase.family, path, phrase.says);
    if (!skip.has('encoded')) {
      const encoded = matchEncoded(text, families, 1);
      if (encoded) {
        return finding('encoded', path, `holds a ${encoded.kind} payload that, decoded, ${encoded.says}`);
      }
    }
    return undefined;
  });
}

/** The first phrase family that matches, reading the text as written and unmasked. */
function matchPhrase(text: string, families: readonly PhraseFamily[]): PhraseFamily | undefined {
  const folded = fold(text);
  const unmasked = unmask(folded);
  const tags = revealTags(text);
  let lower: string | undefined;
  for (const family of families) {
    if (family.reads === 'lower') {
      lower ??= text.toLowerCase();
      if (family.pattern.test(lower)) return family;
    } else if (family.pattern.test(folded) || (unmasked !== undefined && family.pattern.test(unmasked))) {
      return family;
    }
    if (tags !== undefined && family.pattern.test(fold(tags))) return family;
  }
  return undefined;
}

function matchEncoded(
  text: string,
  families: readonly PhraseFamily[],
  depth: number,
): { kind: string; says: string } | undefined {
  for (const payload of decodedPayloads(text)) {
    const phrase = matchPhrase(payload.text, families);
    if (phrase) return { kind: payload.kind, says: phrase.says };
    if (depth < MAX_DECODE_DEPTH) {
      const inner = matchEncoded(payload.text, families, depth + 1);
      if (inner) return inner;
    }
  }
  return undefined;
}
