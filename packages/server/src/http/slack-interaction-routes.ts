import type { FastifyInstance } from 'fastify';
import type { SlackInteractions } from '../integrations/slack-interactions';
import { SlackSignatureError } from '../integrations/slack-signature';
import { ApiError } from './api-error';
import { responses } from './response-schemas';

/**
 * The path of Slack's interactivity requests (the app's Request URL under Interactivity &
 * Shortcuts): `https://<server>/api/slack/interactions`.
 *
 * @example
 * ```ts
 * `${publicUrl}${SLACK_INTERACTIONS_PATH}`;
 * ```
 */
export const SLACK_INTERACTIONS_PATH = '/api/slack/interactions';

/**
 * `POST /api/slack/interactions`: Slack's button clicks. The form body is kept as raw bytes
 * (the signature covers them exactly), checked, then decided. Answers 200 with an empty body
 * (what Slack expects within 3 s) or 401 for anything whose signature does not verify.
 *
 * @example
 * ```ts
 * await app.register(slackInteractionRoutes, { interactions });
 * ```
 */
export async function slackInteractionRoutes(
  app: FastifyInstance,
  options: { interactions: SlackInteractions },
): Promise<void> {
  // Registered inside this plugin only: no other route takes form bodies.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );
  // Its 200 is empty: only its refusals are JSON.
  const schema = { response: responses({}) };
  app.post(SLACK_INTERACTIONS_PATH, { bodyLimit: 64 * 1024, schema }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body))
      throw new ApiError(
        415,
        'unsupported_media_type',
        'Slack sends interactions as application/x-www-form-urlencoded; only Slack may call this URL.',
      );
    try {
      await options.interactions.fromHttp(request.body, request.headers as Record<string, unknown>);
    } catch (err) {
      if (err instanceof SlackSignatureError) {
        request.log.warn({ reason: err.reason }, 'slack: an interaction request was refused');
        throw new ApiError(401, 'invalid_slack_signature', err.message);
      }
      throw err;
    }
    return reply.code(200).send('');
  });
}
