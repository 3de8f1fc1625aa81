/**
 * How a payload was hidden: a base64 (or base64url) blob, hex digits (`69676e6f…` or
 * `\x69\x67…`), or URL escapes (`%69%67…`).
 *
 * @example
 * ```ts
 * const kind: EncodingKind = 'base64';
 * ```
 */
export type EncodingKind = 'base64' | 'hex' | 'url';

/** One decoded blob that reads as text. */
export interface DecodedPayload {
  readonly kind: EncodingKind;
  readonly text: string;
}

/** Long enough to hold a phrase ("ignore all…" is 12 bytes, 16 characters of base64). */
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /(?:[0-9A-Fa-f]{2}){12,}|(?:\\x[0-9A-Fa-f]{2}){8,}/g;
const URL_ESCAPE = /%[0-9A-Fa-f]{2}/g;
/** Fewer escapes than this is ordinary URL text (`50%20off`). */
const MIN_URL_ESCAPES = 6;
/** Only this much of a blob is checked for being text: an image is binary from its first bytes. */
const PROBE_BYTES = 48;
/** A blob decoded is at most this long; longer ones are read up to it. */
const MAX_DECODED = 64 * 1024;

/**
 * Whether decoded bytes read as text: valid UTF-8 with printable characters (letters, digits,
 * punctuation, spaces). Binary (images, hashes, keys) does not.
 */
function asText(bytes: Buffer): string | undefined {
  if (bytes.length < 8) return undefined;
  const probe = bytes.subarray(0, PROBE_BYTES);
  let printable = 0;
  for (const b of probe)
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09 || b >= 0x80) printable++;
  if (printable < probe.length * 0.95) return undefined;
  const text = bytes.subarray(0, MAX_DECODED).toString('utf8');
  // Random bytes above 0x7F rarely form valid UTF-8: replacement characters mean binary.
  const replaced = text.length - text.replaceAll('\uFFFD', '').length;
  if (replaced > text.length * 0.02) return undefined;
  return /[a-zA-Z\u00C0-\uFFFF]/.test(text) ? text : undefined;
}

/**
 * Blobs in `text` that decode to readable text, in order. Base64 runs of 16 characters or
 * more, hex runs of 24 digits or more (or 8 `\xNN` escapes), and strings with 6 or more URL
 * escapes are decoded; binary results (images, hashes, UUIDs) are dropped.
 *
 * @example
 * ```ts
 * [...decodedPayloads('note: aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=')];
 * // [{ kind: 'base64', text: 'ignore all previous instructions' }]
 * ```
 */
export function* decodedPayloads(text: string): Generator<DecodedPayload> {
  if (text.length < 16) return;
  for (const [run] of text.matchAll(BASE64_RUN)) {
    // Runs of letters only are words (`internationalization`), not base64.
    if (!/[0-9+/_=-]/.test(run) || !/[a-z]/.test(run) || !/[A-Z]/.test(run)) continue;
    const decoded = asText(Buffer.from(run.slice(0, (MAX_DECODED * 4) / 3), 'base64'));
    if (decoded) yield { kind: 'base64', text: decoded };
  }
  for (const [run] of text.matchAll(HEX_RUN)) {
    const digits = run.startsWith('\\x') ? run.replaceAll('\\x', '') : run;
    const decoded = asText(Buffer.from(digits.slice(0, MAX_DECODED * 2), 'hex'));
    if (decoded) yield { kind: 'hex', text: decoded };
  }
  const escapes = text.match(URL_ESCAPE);
  if (escapes && escapes.length >= MIN_URL_ESCAPES) {
    const decoded = urlDecode(text.slice(0, MAX_DECODED * 3));
    if (decoded !== text) yield { kind: 'url', text: decoded };
  }
}

/** `decodeURIComponent` that never throws: a bad escape stays as written. */
function urlDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => {
    const bytes = Buffer.from(escapes.replaceAll('%', ''), 'hex');
    return bytes.toString('utf8');
  }).replaceAll('+', ' '); // prettier-ignore
}
