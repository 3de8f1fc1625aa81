import { createHash, randomBytes } from 'node:crypto';
import type { KeyKind } from '../storage/records';

/**
 * How keys start: `as_` for ingest keys (what SDKs send), `asr_` for read tokens.
 *
 * @example
 * ```ts
 * KEY_PREFIXES.ingest; // 'as_'
 * ```
 */
export const KEY_PREFIXES: Readonly<Record<KeyKind, string>> = Object.freeze({ ingest: 'as_', read: 'asr_' });

/** 24 random bytes = 192 bits, well past the 128 a guess would need to beat. */
const KEY_BYTES = 24;
/**
 * Characters after `as_` / `asr_` kept in clear (the key's prefix), enough for a human to
 * tell keys apart.
 *
 * @example
 * ```ts
 * key.slice(0, KEY_PREFIXES.ingest.length + KEY_SHOWN_CHARS); // 'as_Jx3q9Kd0'
 * ```
 */
export const KEY_SHOWN_CHARS = 8;

/**
 * A fresh secret key: the full text (shown once), its hash (stored) and the prefix that
 * identifies it in listings and `key revoke`.
 *
 * @example
 * ```ts
 * const { key, keyHash, prefix } = generateKey('ingest'); // key: 'as_Jx3…', prefix: 'as_Jx3q9Kd0'
 * ```
 */
export function generateKey(kind: KeyKind): { key: string; keyHash: string; prefix: string } {
  const key = KEY_PREFIXES[kind] + randomBytes(KEY_BYTES).toString('base64url');
  return { key, keyHash: hashKey(key), prefix: key.slice(0, KEY_PREFIXES[kind].length + KEY_SHOWN_CHARS) };
}

/**
 * The stored form of a key. Keys carry 192 random bits, so a plain SHA-256 is enough
 * (slow hashing protects guessable secrets, like passwords, not random ones) and a
 * lookup stays one index probe per request.
 *
 * @example
 * ```ts
 * await storage.accounts.findKeyByHash(hashKey(request.headers['x-api-key']));
 * ```
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
