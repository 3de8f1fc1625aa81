/*
 * Control characters (C0, DEL, C1) move the cursor, clear lines, set the window title or hide
 * text on a terminal; bidirectional overrides reorder what is shown. A value that came from
 * outside (an email typed at the login page, an agent or tool name in an event) would let its
 * author fake or hide lines on an operator's screen.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The text with every control character (and bidirectional override) written as a visible
 * escape (`\n`, `\x1b`, `\u202e`), so it shows on a terminal as one inert line. Lines a
 * command prints from values it did not write itself go through this.
 *
 * @example
 * ```ts
 * printable('bot\x1b[8m\nFAKE'); // 'bot\\x1b[8m\\nFAKE'
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
