import { randomBytes } from 'node:crypto';
import type { SlackConfig, WebhookConfig } from '../integrations/integration-store';
import { parseWebhookUrl, WebhookUrlError } from '../integrations/webhook-address';
import { ApiError } from './api-error';
import { bodyObject } from './approval-input';

function bad(field: string, value: unknown, hint: string): ApiError {
  // A token or secret is never echoed back whole, even when it is wrong.
  const shown = typeof value === 'string' ? masked(value) : value;
  return new ApiError(
    400,
    'invalid_body',
    `${field} ${JSON.stringify(shown) ?? 'undefined'} is invalid: ${hint}.`,
    field,
  );
}

/**
 * A secret as the routes show it: its last 4 characters only.
 *
 * @example
 * ```ts
 * masked('xoxb-123-456-abcd'); // '…abcd'
 * ```
 */
export function masked(secret: string): string {
  return secret.length <= 8 ? '…' : `…${secret.slice(-4)}`;
}

function token(b: Record<string, unknown>, field: string, prefix: string | undefined, hint: string): string {
  const v = b[field];
  if (
    typeof v !== 'string' ||
    v.length < 8 ||
    v.length > 512 ||
    !/^[\x21-\x7e]+$/.test(v) ||
    (prefix !== undefined && !v.startsWith(prefix))
  )
    throw bad(field, v, hint);
  return v;
}

/**
 * The body of `PUT /api/projects/:project/integrations/slack`:
 * `{ mode?: 'http' | 'socket', bot_token, signing_secret (http), app_token (socket), channel }`.
 *
 * @example
 * ```ts
 * const config = parseSlackConfig({ bot_token: 'xoxb-…', signing_secret: '…', channel: 'C0123ABCD' });
 * ```
 */
export function parseSlackConfig(body: unknown): SlackConfig {
  const b = bodyObject(body);
  const mode = b.mode ?? 'http';
  if (mode !== 'http' && mode !== 'socket')
    throw bad(
      'mode',
      mode,
      "use 'http' (Slack calls the interactivity URL) or 'socket' (Socket Mode, no public URL)",
    );
  const botToken = token(
    b,
    'bot_token',
    'xoxb-',
    "give the app's Bot User OAuth Token (xoxb-…), from OAuth & Permissions",
  );
  const channel = b.channel;
  if (typeof channel !== 'string' || !/^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,20})$/.test(channel))
    throw bad('channel', channel, 'give a channel id (C0123ABCD) or a #name the bot is a member of');
  const config: SlackConfig = { mode, botToken, channel };
  if (mode === 'http')
    config.signingSecret = token(
      b,
      'signing_secret',
      undefined,
      "give the app's Signing Secret, from Basic Information",
    );
  else
    config.appToken = token(
      b,
      'app_token',
      'xapp-',
      'give an app-level token (xapp-…) with connections:write',
    );
  return config;
}

/**
 * The body of `PUT /api/projects/:project/integrations/webhook`: `{ url, secret? }`. Without
 * a secret the server makes one (`whsec_` + 32 random bytes), answered once.
 *
 * @example
 * ```ts
 * const { config, generated } = parseWebhookConfig({ url: 'https://ops.example.com/hook' }, false);
 * ```
 */
export function parseWebhookConfig(
  body: unknown,
  allowPrivate: boolean,
): { config: WebhookConfig; generated: boolean } {
  const b = bodyObject(body);
  let url: URL;
  try {
    url = parseWebhookUrl(b.url, allowPrivate);
  } catch (err) {
    if (err instanceof WebhookUrlError) throw new ApiError(400, 'invalid_body', err.message, 'url');
    throw err;
  }
  if (b.secret === undefined || b.secret === null)
    return {
      config: { url: url.href, secret: `whsec_${randomBytes(32).toString('base64url')}` },
      generated: true,
    };
  const secret = token(
    b,
    'secret',
    undefined,
    'give 16 to 512 printable characters, or leave it out and one is made',
  );
  if (secret.length < 16)
    throw bad('secret', secret, 'give at least 16 characters, or leave it out and one is made');
  return { config: { url: url.href, secret }, generated: false };
}
