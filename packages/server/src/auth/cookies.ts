/**
 * The few cookie operations the session needs. (`@fastify/cookie` loads its parser with a
 * dynamic `import()`, which the test runner cannot load without ESM support, so the server
 * does without it.)
 *
 * @example
 * ```ts
 * parseCookies('a=1; agentsudo_session=xyz').agentsudo_session; // 'xyz'
 * ```
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/**
 * Attributes of a Set-Cookie header.
 *
 * @example
 * ```ts
 * const o: CookieOptions = { httpOnly: true, sameSite: 'Lax', secure: true, maxAgeSeconds: 3600 };
 * ```
 */
export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict';
  /** 0 deletes the cookie. */
  maxAgeSeconds?: number;
  path?: string;
}

/**
 * A Set-Cookie header value.
 *
 * @example
 * ```ts
 * serializeCookie('s', 'v', { httpOnly: true, sameSite: 'Lax' }); // 's=v; Path=/; HttpOnly; SameSite=Lax'
 * ```
 */
export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? '/'}`];
  if (o.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${Math.floor(o.maxAgeSeconds)}`);
    parts.push(`Expires=${new Date(Date.now() + o.maxAgeSeconds * 1000).toUTCString()}`);
  }
  if (o.httpOnly) parts.push('HttpOnly');
  if (o.secure) parts.push('Secure');
  if (o.sameSite) parts.push(`SameSite=${o.sameSite}`);
  return parts.join('; ');
}
