import type { FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import { requireCsrfToken } from '../auth/csrf';
import { ApiError } from '../http/api-error';
import type { UserRecord } from '../storage/records';

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
    throw new ApiError(
      403,
      'login_required',
      'Managing projects and keys needs a dashboard login, not a read token.',
    );
  }
  return reader.user;
}
