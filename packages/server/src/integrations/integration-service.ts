import type { FastifyInstance } from 'fastify';
import type { Access } from '../auth/access';
import { integrationRoutes } from '../http/integration-routes';
import { slackInteractionRoutes } from '../http/slack-interaction-routes';
import type { Storage } from '../storage/storage';
import {
  DEFAULT_MAX_QUEUED_NOTIFICATIONS,
  DEFAULT_NOTIFY_RETRY,
  DeliveryQueue,
  type NotifyRetry,
} from './delivery-queue';
import { SlackInteractions } from './slack-interactions';
import { SlackNotifier } from './slack-notifier';
import { SlackSockets } from './slack-sockets';
import { WebhookNotifier } from './webhook-notifier';

/**
 * Options of the Slack and webhook integrations (part of `ServerOptions`).
 *
 * @example
 * ```ts
 * const options: IntegrationOptions = { slackApiUrl: 'http://127.0.0.1:9000/api/', allowPrivateWebhookUrls: true };
 * ```
 */
export interface IntegrationOptions {
  /** The Slack Web API's base URL, ending in `/` (default `https://slack.com/api/`). */
  slackApiUrl?: string;
  /**
   * Let webhooks reach loopback and private addresses (default false: a dashboard user
   * cannot make the server call its own network). For webhooks on the same host or LAN.
   */
  allowPrivateWebhookUrls?: boolean;
  /** Retries of Slack calls and webhook deliveries (default 5 tries, from 1 s, doubling, at most 60 s apart). */
  notifyRetry?: Partial<NotifyRetry>;
  /** Most notifications waiting or in flight (default 1000); more are dropped and logged. */
  maxQueuedNotifications?: number;
}

/**
 * Wires Slack and webhooks into a server: the integration routes, the interactivity
 * endpoint, the notifiers on approval steps, and the Socket Mode connections of projects
 * that use it. Returns the function that stops it all (notifications in flight get
 * `drainMs` to finish).
 *
 * @example
 * ```ts
 * const stop = await startIntegrations(app, { storage, access, options });
 * await stop(2000);
 * ```
 */
export async function startIntegrations(
  app: FastifyInstance,
  ctx: { storage: Storage; access: Access; options: IntegrationOptions },
): Promise<(drainMs: number) => Promise<void>> {
  const { storage, access, options } = ctx;
  const { approvals, integrations, accounts } = storage;
  const log = (message: string, fields: Record<string, unknown>) => app.log.warn(fields, message);
  const queue = new DeliveryQueue({
    retry: { ...DEFAULT_NOTIFY_RETRY, ...options.notifyRetry },
    maxQueued: options.maxQueuedNotifications ?? DEFAULT_MAX_QUEUED_NOTIFICATIONS,
    log,
  });
  const { slackApiUrl } = options;
  const allowPrivate = options.allowPrivateWebhookUrls ?? false;
  const interactions = new SlackInteractions({ approvals, accounts, integrations, slackApiUrl, log });
  const sockets = new SlackSockets({ interactions, slackApiUrl, log });
  const stops = [
    new SlackNotifier({ approvals, integrations, queue, slackApiUrl }).start(),
    new WebhookNotifier({ approvals, integrations, queue, allowPrivate }).start(),
  ];
  await app.register(integrationRoutes, {
    integrations,
    access,
    sockets,
    allowPrivateWebhookUrls: allowPrivate,
  });
  await app.register(slackInteractionRoutes, { interactions });
  for (const s of await integrations.socketModeSlack()) sockets.connectInBackground(s.projectId, s.config);
  return async (drainMs) => {
    for (const stop of stops) stop();
    await sockets.closeAll();
    await queue.drain(drainMs);
    queue.close();
  };
}
