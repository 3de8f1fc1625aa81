import { LogLevel, WebAPIPlatformError, WebClient, type Logger } from '@slack/web-api';
import { PermanentFailure } from './delivery-queue';

/**
 * The Slack Web API client of one bot token. Its own retries are off (the delivery queue
 * retries, bounded) and it logs nothing (the server logs the outcome once). `slackApiUrl`
 * points it elsewhere than `https://slack.com/api/` (a proxy, or a fake in tests).
 *
 * @example
 * ```ts
 * const client = slackClient('xoxb-…', 'http://127.0.0.1:9000/api/');
 * await client.chat.postMessage({ channel: 'C0123ABCD', text: 'hello' });
 * ```
 */
export function slackClient(botToken: string, slackApiUrl?: string): WebClient {
  return new WebClient(botToken, {
    slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: SILENT,
    logLevel: LogLevel.ERROR,
  });
}

/**
 * The error to fail a queued Slack job with: Slack's own refusals (`channel_not_found`,
 * `invalid_auth`, …) are permanent, everything else (network, 5xx, rate limit) is retried.
 *
 * @example
 * ```ts
 * await client.chat.postMessage(m).catch((e) => { throw slackFailure(e); });
 * ```
 */
export function slackFailure(err: unknown): Error {
  if (err instanceof WebAPIPlatformError)
    return new PermanentFailure(`Slack refused the call: ${String(err.data.error)}`);
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A logger for the Slack clients that passes their errors to `log` (the server's logger)
 * and drops the rest, instead of their default of writing to the console.
 *
 * @example
 * ```ts
 * new SocketModeClient({ appToken, logger: slackLogger((msg) => app.log.warn(msg)) });
 * ```
 */
export function slackLogger(log: (message: string) => void = () => undefined): Logger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (...parts: unknown[]) => log(parts.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.ERROR,
    setName: () => undefined,
  };
}

const SILENT = slackLogger();
