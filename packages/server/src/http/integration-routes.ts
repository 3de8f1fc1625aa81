import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import type { Integrations, StoredIntegration } from '../integrations/integration-store';
import type { SlackSockets } from '../integrations/slack-sockets';
import { masked, parseSlackConfig, parseWebhookConfig } from './integration-input';
import { projectAccess } from './project-access';
import { paramsSchema, text } from './parameter-schemas';
import { objectSchema, responses, types } from './response-schemas';

const LOGIN_REQUIRED =
  "A project's Slack and webhook connections hold secrets: only a signed-in dashboard user may see or change them.";

type ProjectRequest = FastifyRequest<{ Params: { project: string } }>;

const iso = (ms: number) => new Date(ms).toISOString();

function slackJson(s: StoredIntegration<'slack'> | undefined): Record<string, unknown> {
  if (!s) return { connected: false };
  const c = s.config;
  return {
    connected: true,
    mode: c.mode,
    channel: c.channel,
    bot_token: masked(c.botToken),
    ...(c.signingSecret ? { signing_secret: masked(c.signingSecret) } : {}),
    ...(c.appToken ? { app_token: masked(c.appToken) } : {}),
    updated_at: iso(s.updatedAt),
    updated_by: s.updatedBy,
  };
}

function webhookJson(w: StoredIntegration<'webhook'> | undefined): Record<string, unknown> {
  if (!w) return { connected: false };
  return {
    connected: true,
    url: w.config.url,
    secret: masked(w.config.secret),
    updated_at: iso(w.updatedAt),
    updated_by: w.updatedBy,
  };
}

/** A connection as {@link slackJson} answers it; only `connected` when there is none. */
const SLACK = objectSchema(
  {
    connected: types.boolean,
    mode: types.string,
    channel: types.string,
    bot_token: types.string,
    signing_secret: types.string,
    app_token: types.string,
    updated_at: types.string,
    updated_by: types.string,
  },
  ['connected'],
);

/** A connection as {@link webhookJson} answers it, with the secret once when the server made it. */
const WEBHOOK = objectSchema(
  {
    connected: types.boolean,
    url: types.string,
    secret: types.string,
    secret_shown_once: types.boolean,
    updated_at: types.string,
    updated_by: types.string,
  },
  ['connected'],
);

/**
 * Options of {@link integrationRoutes}.
 *
 * @example
 * ```ts
 * const options: IntegrationRoutesOptions = { integrations: storage.integrations, access, sockets, allowPrivateWebhookUrls: false };
 * ```
 */
export interface IntegrationRoutesOptions {
  integrations: Integrations;
  access: Access;
  sockets: SlackSockets;
  allowPrivateWebhookUrls: boolean;
}

/**
 * A project's Slack and webhook connections, under `/api/projects/:project/integrations`:
 * `GET`, `PUT` (connect or replace) and `DELETE` (disconnect) of `…/slack` and `…/webhook`.
 * Only a signed-in user may call them (with the CSRF token of their login to change them):
 * a read token neither sees nor changes them. Tokens and secrets are never answered whole,
 * except a webhook secret the server made, once, in the answer of the PUT that made it.
 *
 * @example
 * ```ts
 * await app.register(integrationRoutes, { integrations: storage.integrations, access, sockets, allowPrivateWebhookUrls: false });
 * ```
 */
export const integrationRoutes: FastifyPluginAsync<IntegrationRoutesOptions> = async (app, ctx) => {
  const { integrations, sockets } = ctx;
  await app.register(projectAccess, { access: ctx.access });
  // Every route here holds secrets: a read token neither sees nor changes them.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, loginRequired: LOGIN_REQUIRED };
  });

  const base = '/api/projects/:project/integrations';
  const params = paramsSchema({ project: text() });
  const slack = { params, response: responses({ 200: SLACK }) };
  const webhook = { params, response: responses({ 200: WEBHOOK }) };

  app.get(`${base}/slack`, { schema: slack }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    return slackJson(await integrations.get(projectId, 'slack'));
  });

  app.put(`${base}/slack`, { bodyLimit: 16 * 1024, schema: slack }, async (request: ProjectRequest) => {
    const { id: projectId, user } = request.project;
    const config = parseSlackConfig(request.body);
    const stored = await integrations.put(projectId, 'slack', config, user!.email);
    // Socket Mode connects in the background: a Slack that is down must not fail the save.
    sockets.connectInBackground(projectId, config);
    return slackJson(stored);
  });

  app.delete(`${base}/slack`, { schema: slack }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    await integrations.remove(projectId, 'slack');
    await sockets.disconnect(projectId);
    return { connected: false };
  });

  app.get(`${base}/webhook`, { schema: webhook }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    return webhookJson(await integrations.get(projectId, 'webhook'));
  });

  app.put(`${base}/webhook`, { bodyLimit: 16 * 1024, schema: webhook }, async (request: ProjectRequest) => {
    const { id: projectId, user } = request.project;
    const { config, generated } = parseWebhookConfig(request.body, ctx.allowPrivateWebhookUrls);
    const stored = await integrations.put(projectId, 'webhook', config, user!.email);
    return {
      ...webhookJson(stored),
      ...(generated ? { secret: config.secret, secret_shown_once: true } : {}),
    };
  });

  app.delete(`${base}/webhook`, { schema: webhook }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    await integrations.remove(projectId, 'webhook');
    return { connected: false };
  });
};
