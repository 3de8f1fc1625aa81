import type { FastifyPluginAsync } from 'fastify';
import { randomBytes } from 'node:crypto';
import { SESSION_COOKIE, type Access } from '../auth/access';
import { parseCookies, serializeCookie } from '../auth/cookies';
import { csrfTokenFor, requireCsrfToken } from '../auth/csrf';
import { hashKey } from '../auth/keys';
import { isUserEmail, normalizeEmail } from '../auth/emails';
import { loginKeys, type LoginLimiter } from '../auth/login-limiter';
import { verifyPassword } from '../auth/passwords';
import type { Accounts } from '../storage/accounts';
import { ApiError } from './api-error';
import { okSchema, responses, sessionSchema } from './response-schemas';

/** Dashboard sessions last a week. */
const SESSION_MS = 7 * 24 * 3600_000;
/** Checked against when the email is unknown, so timing does not reveal which emails exist. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Options of {@link authRoutes}.
 *
 * @example
 * ```ts
 * const options: AuthRoutesOptions = { accounts: storage.accounts, access, limiter: new LoginLimiter(storage.loginAttempts) };
 * ```
 */
export interface AuthRoutesOptions {
  accounts: Pick<Accounts, 'findUserByEmail' | 'createLoginSession' | 'deleteLoginSession'>;
  access: Access;
  limiter: LoginLimiter;
}

/**
 * `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`. The session lives
 * in an HttpOnly, SameSite=Lax cookie, Secure when the request came over TLS; login and
 * me answer the session's CSRF token (`csrf_token`), which logout and every other
 * state-changing call of the session must send as `X-CSRF-Token`. Failed logins are
 * limited per address and per email (429 with Retry-After).
 *
 * @example
 * ```ts
 * await app.register(authRoutes, { accounts: storage.accounts, access, limiter: new LoginLimiter(storage.loginAttempts) });
 * ```
 */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, ctx) => {
  app.post(
    '/api/auth/login',
    {
      bodyLimit: 16 * 1024,
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          properties: {
            email: { type: 'string', maxLength: 254 },
            password: { type: 'string', maxLength: 1024 },
          },
        },
        response: responses({ 200: sessionSchema }),
      },
    },
    async (request, reply) => {
      const { email, password } = request.body as { email: string; password: string };
      const normalized = normalizeEmail(email);
      // An email no user can have (control characters, no @) is counted against its address
      // only: it must not create a lockout key that the CLI's listing would show.
      const possible = isUserEmail(normalized);
      const keys = possible ? loginKeys.of(request.ip, normalized) : [loginKeys.ip(request.ip)];
      const attempt = await ctx.limiter.attempt(keys);
      if (attempt.retryAfterMs > 0) {
        const seconds = Math.ceil(attempt.retryAfterMs / 1000);
        reply.header('retry-after', String(seconds));
        throw new ApiError(
          429,
          'too_many_attempts',
          `Too many failed logins; try again in ${waitInWords(seconds)}.`,
        );
      }
      const user = possible ? await ctx.accounts.findUserByEmail(normalized) : undefined;
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) throw new ApiError(401, 'invalid_credentials', 'Wrong email or password.');
      await attempt.succeeded();
      const token = randomBytes(32).toString('base64url');
      const started = await ctx.accounts.createLoginSession(
        hashKey(token),
        user.id,
        Date.now() + SESSION_MS,
        user.passwordHash,
      );
      // The password was reset while this login checked the old one.
      if (!started) throw new ApiError(401, 'invalid_credentials', 'Wrong email or password.');
      reply.header(
        'set-cookie',
        serializeCookie(SESSION_COOKIE, token, {
          httpOnly: true,
          sameSite: 'Lax',
          secure: request.protocol === 'https',
          maxAgeSeconds: SESSION_MS / 1000,
        }),
      );
      return { user: { id: user.id, email: user.email }, csrf_token: csrfTokenFor(token) };
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { response: responses({ 200: okSchema }) } },
    async (request, reply) => {
      // Logging someone out from another page is an attack too (and a step towards logging
      // them in as someone else).
      requireCsrfToken(request);
      const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
      if (token) await ctx.accounts.deleteLoginSession(hashKey(token));
      reply.header(
        'set-cookie',
        serializeCookie(SESSION_COOKIE, '', {
          httpOnly: true,
          sameSite: 'Lax',
          secure: request.protocol === 'https',
          maxAgeSeconds: 0,
        }),
      );
      return { ok: true };
    },
  );

  app.get('/api/auth/me', { schema: { response: responses({ 200: sessionSchema }) } }, async (request) => {
    const user = await ctx.access.sessionUser(request);
    if (!user) throw new ApiError(401, 'unauthenticated', 'Not logged in; POST /api/auth/login.');
    // A reloaded page gets the session's CSRF token back here (the cookie is HttpOnly).
    const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    return { user: { id: user.id, email: user.email }, csrf_token: csrfTokenFor(token) };
  });
};

/** A wait as a person reads it: `40 seconds`, `1 minute`, `15 minutes` (whole minutes, rounded up). */
function waitInWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
