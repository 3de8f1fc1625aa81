import type { IncomingMessage } from 'node:http';

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when the header
 * is missing or uses another scheme. The scheme is case-insensitive (RFC 7235).
 *
 * @example
 * ```ts
 * const token = bearerToken(req); // 'abc…' for 'Authorization: Bearer abc…'
 * ```
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1] : undefined;
}
