import type { FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import { ApiError } from '../http/api-error';
import type { UserRecord } from '../storage/records';

/**
 * The signed-in dashboard user of a request that changes something (projects, keys).
 * Read tokens can read but never manage keys. A browser request from another site is
 * refused even with a valid cookie: the session cookie is SameSite=Lax, and checking
 * `Origin` closes the remaining gap for older browsers.
 *
 * @example
 * ```ts
 * const user = await requireUser(access, request);
 * ```
 */
export async function requireUser(access: Access, request: FastifyRequest): Promise<UserRecord> {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== request.headers.host) {
      throw new ApiError(
        403,
        'cross_origin',
        `Requests from ${origin} may not change this server's projects or keys.`,
      );
    }
  }
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
