/**
 * Which kind of hidden text a string carries: `tag` characters (U+E0000–E007F, invisible
 * ASCII), `bidi` controls that reorder what a reader sees (Trojan Source), `zero_width`
 * characters splitting a word or encoding bits, or a run of `variation` selectors (data hidden
 * after a character).
 *
 * @example
 * ```ts
 * const kind: InvisibleKind = 'bidi';
 * ```
 */
export type InvisibleKind = 'tag' | 'bidi' | 'zero_width' | 'variation';

/** A subdivision flag emoji (🏴 followed by tags, ended by U+E007F) is the one honest use of tags. */
const FLAG_TAG_SEQUENCE = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;
const TAG = /[\u{E0000}-\u{E007F}]/u;
/** Embeddings, overrides and isolates; the marks LRM, RLM and ALM are common and harmless. */
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
/** A zero-width character between two ASCII letters or digits splits a word to dodge a filter. */
const ZERO_WIDTH_IN_WORD = /[A-Za-z0-9][\u200B-\u200D\u2060\u180E\uFEFF]+[A-Za-z0-9]/;
/** Joiners in emoji and non-joiners in Persian come one at a time; two in a row carry data. */
const ZERO_WIDTH_PAIR = /[\u200B-\u200D\u2060\uFEFF]{2}/;
const ZERO_WIDTH =
  /[\u200B\u2060\u180E\uFEFF]|(?<![\u0080-\uFFFF])[\u200C\u200D]|[\u200C\u200D](?![\u0080-\uFFFF])/g;
/** More than this many stray zero-width characters in one string is a hidden message. */
const ZERO_WIDTH_RUN = 3;
/** Emoji take one selector; two in a row carry data. */
const VARIATION_RUN = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{2}/u;
// Variation selectors are what is looked for, not combined with what precedes them.
/* eslint-disable no-misleading-character-class */
const MAYBE_INVISIBLE = /[\u180E\u200B-\u200D\u202A-\u202E\u2060\u2066-\u2069\uFE00-\uFE0F\uFEFF]|[\uDB40]/;
/* eslint-enable no-misleading-character-class */

/**
 * The kind of hidden text in `text`, or `undefined`. Emoji with joiners (👨‍👩‍👧), a zero-width
 * non-joiner in Persian or Hindi, a byte-order mark at the start and subdivision flags pass.
 *
 * @example
 * ```ts
 * findInvisible('refund\u202Eevil'); // 'bidi'
 * findInvisible('👨‍👩‍👧 family'); // undefined
 * ```
 */
export function findInvisible(text: string): InvisibleKind | undefined {
  if (!MAYBE_INVISIBLE.test(text)) return undefined;
  if (TAG.test(text) && TAG.test(text.replace(FLAG_TAG_SEQUENCE, ''))) return 'tag';
  if (BIDI.test(text)) return 'bidi';
  if (ZERO_WIDTH_IN_WORD.test(text) || ZERO_WIDTH_PAIR.test(text)) return 'zero_width';
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let stray = 0;
  ZERO_WIDTH.lastIndex = 0;
  while (ZERO_WIDTH.exec(body) !== null) if (++stray > ZERO_WIDTH_RUN) return 'zero_width';
  if (VARIATION_RUN.test(text)) return 'variation';
  return undefined;
}

/** Tag characters mirror ASCII (U+E0041 is an invisible `A`): the text they hide. */
export function revealTags(text: string): string | undefined {
  if (!TAG.test(text)) return undefined;
  let hidden = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) hidden += String.fromCharCode(cp - 0xe0000);
  }
  return hidden || undefined;
}
