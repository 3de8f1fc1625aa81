import {
  NoSessionError,
  PermissionDeniedError,
  SessionExpiredError,
  type DenialReason as CheckDenialReason,
  type PermissionError,
} from '@agentsudo/core';

/**
 * Why a call was denied: a check's reason (the agent lacks the `scope`, a `condition`
 * refused, a `rate_limit` or `budget` is used up, a `guardrail` refused the arguments, an
 * `approval` was refused), or the call ran without any agent, or the agent's session had
 * expired.
 *
 * @example
 * ```ts
 * if (exception.reason === 'no_session') logger.warn('a protected call ran without an agent');
 * ```
 */
export type DenialReason = CheckDenialReason | 'no_session' | 'session_expired';

/**
 * The HTTP answer to a denial: 429 with `Retry-After` (whole seconds, rounded up) when the
 * same call can pass later, that is a `rate_limit`, or a `budget` whose cost fits once
 * earlier spending leaves the window; 403 for everything else, including a budget the call's
 * cost exceeds as a whole (retrying never helps) and a limit that could not be checked.
 *
 * @example
 * ```ts
 * const { status, retryAfterSeconds } = denialStatus(err);
 * if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
 * ```
 */
export function denialStatus(error: PermissionError): { status: 403 | 429; retryAfterSeconds?: number } {
  if (
    error instanceof PermissionDeniedError &&
    (error.reason === 'rate_limit' || error.reason === 'budget') &&
    error.retryAfterMs !== undefined &&
    Number.isFinite(error.retryAfterMs)
  ) {
    return { status: 429, retryAfterSeconds: Math.max(0, Math.ceil(error.retryAfterMs / 1000)) };
  }
  return { status: 403 };
}

/**
 * The reason behind a permission error.
 *
 * @example
 * ```ts
 * denialReason(err); // 'scope'
 * ```
 */
export function denialReason(error: PermissionError): DenialReason {
  if (error instanceof NoSessionError) return 'no_session';
  if (error instanceof SessionExpiredError) return 'session_expired';
  if (error instanceof PermissionDeniedError) return error.reason;
  return 'scope';
}
