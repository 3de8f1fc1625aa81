import type { FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import { requireCsrfToken } from '../auth/csrf';
import { ApiError } from '../http/api-error';
import type { UserRecord } from '../storage/records';

/**
 * What a read token hears from the routes that manage projects and keys.
 *
 * @example
 * ```ts
 * app.get('/api/projects/:project/keys', { config: { loginRequired: MANAGING_NEEDS_LOGIN } }, listKeys);
 * ```
 */
export const MANAGING_NEEDS_LOGIN = 'Managing projects and keys needs a dashboard login, not a read token.';

/**
 * The signed-in dashboard user of a request that changes something (projects, keys).
 * Read tokens can read but never manage keys. A request another page could have made with
 * the user's cookie (no valid CSRF token, whatever its origin) is refused first: see
 * `requireCsrfToken`.
 *
 * @example
 * ```ts
 * const user = await requireUser(access, request);
 * ```
 */
export async function requireUser(access: Access, request: FastifyRequest): Promise<UserRecord> {
  requireCsrfToken(request);
  const reader = await access.reader(request);
  if (reader.kind !== 'user') {
    throw new ApiError(403, 'login_required', MANAGING_NEEDS_LOGIN);
  }
  return reader.user;
}
