import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness in a generated token: 256 bits, beyond any guessing. */
const TOKEN_BYTES = 32;

/**
 * The SHA-256 digest of an agent token, as 64 hex characters: what the registry keeps
 * instead of the token, and what `tokenSha256` in a registration expects.
 *
 * @example
 * ```ts
 * hashAgentToken(process.env.SUPPORT_BOT_TOKEN!); // 'a3f1…' (64 hex characters)
 * ```
 */
export function hashAgentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * A fresh random agent token (43 url-safe characters). Give it to the agent once and
 * keep only its hash on the server.
 *
 * @example
 * ```ts
 * const token = generateAgentToken();
 * registry.register({ agent: supportBot, token });
 * ```
 */
export function generateAgentToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}
