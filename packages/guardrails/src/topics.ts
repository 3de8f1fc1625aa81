import type { Guard } from '@agentsudo/core';
import { GuardOptionsError } from './errors';
import { fold } from './fold';
import { resolveAction, resolveWalk, textGuard, type WalkOptions } from './text-guard';

/**
 * One topic to refuse: a name (the finding's rule is `topics.<name>`) and the words or phrases
 * that mark it.
 *
 * Matching rules: case does not matter (Unicode lower case, after NFKC normalisation and with
 * invisible characters removed); a phrase matches whole words only, so `gun` does not match
 * `begun`; a space in a phrase matches any run of spaces, `-`, `_` or line breaks; a phrase
 * ending in `*` matches any word that starts with it (`gambl*` matches `gambling`). Accents
 * count (`medico` does not match `médico`: list both). Phrases in scripts written without
 * spaces (Chinese, Japanese, Thai) match anywhere in the text.
 *
 * @example
 * ```ts
 * const topic: DeniedTopic = { name: 'gambling', phrases: ['casino', 'sports bet*', 'gambl*'] };
 * ```
 */
export interface DeniedTopic {
  readonly name: string;
  readonly phrases: readonly string[];
}

/**
 * Options of {@link topics}.
 *
 * @example
 * ```ts
 * const options: TopicsOptions = { deny: [{ name: 'medical', phrases: ['diagnosis', 'prescription'] }] };
 * ```
 */
export interface TopicsOptions extends WalkOptions {
  readonly deny: readonly DeniedTopic[];
  /** `'refuse'` (the default) stops the call; `'flag'` lets it run and records the finding. */
  readonly action?: 'refuse' | 'flag';
}

const TOPIC_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const MAX_PHRASES = 1000;
const MAX_PHRASE_LENGTH = 200;
/** Scripts written without spaces between words: no word boundary to require. */
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}]/u;
const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}]';

/** One phrase as a pattern of literals: linear to match, whatever the user wrote. */
function phrasePattern(phrase: string): string {
  const prefix = phrase.endsWith('*');
  const words = fold(prefix ? phrase.slice(0, -1) : phrase)
    .trim()
    .split(' ');
  const body = words.map((w) => w.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join(' ');
  const first = [...words[0]][0] ?? '';
  const last = [...words[words.length - 1]].pop() ?? '';
  const before = UNSPACED.test(first) ? '' : `(?<!${WORD_CHAR})`;
  const after = prefix ? `${WORD_CHAR}*` : UNSPACED.test(last) ? '' : `(?!${WORD_CHAR})`;
  return `${before}${body}${after}`;
}

/**
 * A guard that refuses arguments about topics you list, by keywords and phrases (see
 * {@link DeniedTopic} for the matching rules). It knows no topic by itself: you say what
 * `medical` or `competitors` means for your product. The finding names the argument and the
 * topic, never the text.
 *
 * @example
 * ```ts
 * @Sudo('write:replies', { guards: [topics({ deny: [{ name: 'legal_advice', phrases: ['lawsuit', 'sue', 'attorney'] }] })] })
 * reply(ticketId: string, text: string) { … }
 * ```
 */
export function topics(options: TopicsOptions): Guard {
  const name = 'topics';
  const walk = resolveWalk(name, options);
  const action = resolveAction(name, 'action', options?.action, 'refuse');
  const deny = options?.deny;
  if (!Array.isArray(deny) || deny.length === 0) {
    throw new GuardOptionsError(
      name,
      'deny',
      deny,
      "pass a non-empty list such as [{ name: 'medical', phrases: ['diagnosis'] }]",
    );
  }
  const compiled = deny.map((topic: DeniedTopic, i) => {
    if (typeof topic?.name !== 'string' || !TOPIC_NAME.test(topic.name)) {
      throw new GuardOptionsError(
        name,
        `deny[${i}].name`,
        topic?.name,
        'pass a name of lower-case letters, digits and _ (at most 40), starting with a letter',
      );
    }
    const phrases = topic.phrases;
    if (!Array.isArray(phrases) || phrases.length === 0 || phrases.length > MAX_PHRASES) {
      throw new GuardOptionsError(name, `deny[${i}].phrases`, phrases, `pass 1 to ${MAX_PHRASES} phrases`);
    }
    phrases.forEach((p, j) => {
      if (typeof p !== 'string' || fold(p.replace(/\*$/, '')).trim() === '' || p.length > MAX_PHRASE_LENGTH) {
        throw new GuardOptionsError(
          name,
          `deny[${i}].phrases[${j}]`,
          p,
          `pass a word or phrase of 1 to ${MAX_PHRASE_LENGTH} characters`,
        );
      }
    });
    return { topic: topic.name, pattern: new RegExp(phrases.map(phrasePattern).join('|'), 'u') };
  });
  return textGuard(name, walk, ({ path, text }) => {
    const folded = fold(text);
    for (const { topic, pattern } of compiled) {
      if (pattern.test(folded))
        return { action, rule: `${name}.${topic}`, message: `${path} is about ${topic}` };
    }
    return undefined;
  });
}
