import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { SESSION_COOKIE } from './access';
import { parseCookies } from './cookies';

/**
 * The request header that carries the CSRF token on every state-changing request a login
 * session makes (the dashboard sends it on each POST and DELETE).
 *
 * @example
 * ```ts
 * fetch('/api/auth/logout', { method: 'POST', headers: { [CSRF_HEADER]: csrfToken } });
 * ```
 */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The CSRF token of a login session: an HMAC keyed by the session's secret token, so it
 * needs no storage, changes with every login, and cannot be made without the HttpOnly
 * cookie. It is handed out only in JSON answers (login, `GET /api/auth/me`), which another
 * origin cannot read; a cookie would not do, since cookies are shared between the ports
 * of one host.
 *
 * @example
 * ```ts
 * return { user, csrf_token: csrfTokenFor(sessionToken) };
 * ```
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('agentsudo csrf v1').digest('base64url');
}

/**
 * Refuses (403, as {@link ApiError}) a state-changing request that a page elsewhere could
 * have made with the user's cookie: one that carries the session cookie without its CSRF
 * token in the `X-CSRF-Token` header, whatever its `Origin`. Browsers send `Origin: null`
 * or none at all in cases an attacker can arrange (a redirected form post, a sandboxed
 * frame), and a sibling origin (another port, a subdomain) gets the SameSite=Lax cookie
 * sent along; only the token tells the dashboard's own calls apart. A valid token is
 * enough whatever the `Origin` says: only the dashboard's own script can read it (there
 * is no CORS), while a proxy in front may make the `Origin` differ from the `Host` the
 * server sees (nginx's default `proxy_pass`). Requests without the cookie pass on to their
 * route's own check (401 / 403), and reads (GET, HEAD) need no token.
 *
 * @example
 * ```ts
 * app.post('/api/auth/logout', async (request) => {
 *   requireCsrfToken(request);
 *   // … end the session
 * });
 * ```
 */
export function requireCsrfToken(request: FastifyRequest): void {
  // Reads change nothing; a foreign page cannot read their answers either.
  if (request.method === 'GET' || request.method === 'HEAD') return;
  const sessionToken = parseCookies(request.headers.cookie)[SESSION_COOKIE];
  if (!sessionToken) return;
  const presented = request.headers[CSRF_HEADER];
  if (typeof presented !== 'string' || presented === '') {
    throw new ApiError(
      403,
      'csrf_token_missing',
      `This request changes something and carries the login cookie, so it needs the ${CSRF_HEADER} ` +
        'header: send the csrf_token that POST /api/auth/login and GET /api/auth/me answer.',
    );
  }
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(
      403,
      'csrf_token_invalid',
      `The ${CSRF_HEADER} header does not belong to this login; read csrf_token again from GET /api/auth/me.`,
    );
  }
}
