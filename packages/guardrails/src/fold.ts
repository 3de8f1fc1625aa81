/**
 * Characters that render as nothing: zero-width spaces and joiners, bidi controls, the soft
 * hyphen, variation selectors and tag characters. Removed before matching, so
 * `ig\u200Bnore` reads as `ignore`.
 */
// Combining and variation characters belong in this class: they are what is removed.
/* eslint-disable no-misleading-character-class */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
/* eslint-enable no-misleading-character-class */

/** Punctuation used to split or dress up words (`ignore_previous-instructions`). */
const SEPARATORS = /[\s_*~|#"`\\^+-]+/g;
const APOSTROPHES = /[\u2018\u2019\u02BC\u00B4]/g;

/** Cyrillic and Greek letters that look like Latin ones, as used to dodge word filters. */
const HOMOGLYPHS: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ɡ: 'g', ɑ: 'a', ı: 'i',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x',
}; // prettier-ignore
const HOMOGLYPH_CHARS = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');
/** A Latin letter next to a Cyrillic or Greek one inside a word: a mixed-script disguise. */
const MIXED_SCRIPT =
  /[a-z][\u0370-\u03FF\u0400-\u04FF\u0250-\u02AF\u0131]|[\u0370-\u03FF\u0400-\u04FF\u0250-\u02AF\u0131][a-z]/;
const NON_ASCII = /[\u0080-\uFFFF]/;

/**
 * Text as the phrase rules read it: compatibility-normalised (NFKC folds fullwidth and
 * mathematical letters to plain ones), invisible characters removed, lower case, word
 * separators as single spaces, typographic apostrophes as `'`.
 */
export function fold(text: string): string {
  const plain = NON_ASCII.test(text) ? text.normalize('NFKC').replace(INVISIBLE, '') : text;
  return plain.toLowerCase().replace(APOSTROPHES, "'").replace(SEPARATORS, ' ');
}

/**
 * The same text with look-alike Cyrillic and Greek letters read as Latin, when a word mixes
 * the scripts (`іgnоrе`); `undefined` when no word does, so Russian or Greek text is left
 * alone.
 */
export function unmask(folded: string): string | undefined {
  if (!MIXED_SCRIPT.test(folded)) return undefined;
  return folded.replace(HOMOGLYPH_CHARS, (c) => HOMOGLYPHS[c]);
}
