import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How old (or how far ahead) a Slack request's timestamp may be: 5 minutes, as Slack says.
 * An older request is a replay.
 *
 * @example
 * ```ts
 * Math.abs(Date.now() / 1000 - ts) <= SLACK_MAX_AGE_S;
 * ```
 */
export const SLACK_MAX_AGE_S = 300;

/**
 * A Slack request whose signature does not hold; `reason` says which check failed.
 *
 * @example
 * ```ts
 * try { verifySlackSignature(secret, headers, raw); } catch (e) { if (e instanceof SlackSignatureError) reply.code(401); }
 * ```
 */
export class SlackSignatureError extends Error {
  constructor(readonly reason: 'missing' | 'stale' | 'mismatch') {
    super(
      reason === 'missing'
        ? 'The request has no X-Slack-Request-Timestamp and X-Slack-Signature headers; only Slack may call this URL.'
        : reason === 'stale'
          ? `The request's X-Slack-Request-Timestamp is more than ${SLACK_MAX_AGE_S} s from now: a replay, or a server clock that is off.`
          : "The request's X-Slack-Signature does not match: check the signing secret of the project's Slack connection.",
    );
    this.name = 'SlackSignatureError';
  }
}

/**
 * The Slack request's timestamp (seconds), if it is a number within {@link SLACK_MAX_AGE_S}
 * of `now`; throws {@link SlackSignatureError} otherwise. Checked before anything else.
 *
 * @example
 * ```ts
 * const ts = freshSlackTimestamp(request.headers['x-slack-request-timestamp']);
 * ```
 */
export function freshSlackTimestamp(header: unknown, now = Date.now()): string {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header)) throw new SlackSignatureError('missing');
  if (Math.abs(now / 1000 - Number(header)) > SLACK_MAX_AGE_S) throw new SlackSignatureError('stale');
  return header;
}

/**
 * Checks Slack's signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` keyed
 * with the signing secret, compared in constant time. Throws {@link SlackSignatureError}.
 *
 * @example
 * ```ts
 * verifySlackSignature(config.signingSecret, ts, request.headers['x-slack-signature'], rawBody);
 * ```
 */
export function verifySlackSignature(
  signingSecret: string,
  timestamp: string,
  signature: unknown,
  rawBody: Buffer,
): void {
  if (typeof signature !== 'string') throw new SlackSignatureError('missing');
  const expected = Buffer.from(
    `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; the length of a valid signature is no secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new SlackSignatureError('mismatch');
}
