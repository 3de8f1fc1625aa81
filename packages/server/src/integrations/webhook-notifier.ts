import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { approvalJson } from '../http/approval-json';
import type { ApprovalStep, Approvals } from '../storage/approvals';
import type { ApprovalRecord } from '../storage/approvals-records';
import { PermanentFailure, type DeliveryQueue } from './delivery-queue';
import type { Integrations } from './integration-store';
import { parseWebhookUrl, publicOnlyLookup } from './webhook-address';

/**
 * The headers of a webhook request: the Unix time in seconds it was sent at, its signature,
 * and an id that stays the same across retries of one delivery (to drop duplicates).
 *
 * @example
 * ```ts
 * request.headers[WEBHOOK_HEADERS.signature]; // 'v1=5257a869…'
 * ```
 */
export const WEBHOOK_HEADERS = {
  timestamp: 'x-agentsudo-timestamp',
  signature: 'x-agentsudo-signature',
  delivery: 'x-agentsudo-delivery',
} as const;

/** One try may take this long before it counts as failed. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * The signature of a webhook request: `v1=` + hex HMAC-SHA256, keyed with the webhook's
 * secret, of `{timestamp}.{raw body}`.
 *
 * @example
 * ```ts
 * signWebhook('whsec_…', '1767225600', body); // 'v1=…'
 * ```
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs each approval request of a project with a webhook, as JSON
 * `{ type: 'approval_requested', approval }`, signed ({@link signWebhook}); retried with
 * backoff by the queue when the endpoint fails (no answer, 408, 429, 5xx), given up at once
 * on another 4xx. Redirects are not followed.
 *
 * @example
 * ```ts
 * const stop = new WebhookNotifier({ approvals, integrations, queue, allowPrivate: false }).start();
 * ```
 */
export class WebhookNotifier {
  constructor(
    private readonly deps: {
      approvals: Pick<Approvals, 'observe'>;
      integrations: Integrations;
      queue: DeliveryQueue;
      allowPrivate: boolean;
    },
  ) {}

  /** Starts listening to approval requests; returns the function that stops it. */
  start(): () => void {
    return this.deps.approvals.observe((step) => this.onStep(step));
  }

  private onStep({ step, approval }: ApprovalStep): void {
    if (step !== 'requested') return;
    const delivery = randomUUID();
    const body = JSON.stringify({
      type: 'approval_requested',
      delivery_id: delivery,
      approval: approvalJson(approval),
    });
    this.deps.queue.push(`webhook: delivering approval ${approval.id}`, `webhook:${approval.id}`, () =>
      this.deliver(approval, delivery, body),
    );
  }

  private async deliver(approval: ApprovalRecord, delivery: string, body: string): Promise<void> {
    const hook = await this.deps.integrations.get(approval.projectId, 'webhook');
    if (!hook) return;
    const url = parseWebhookUrl(hook.config.url, this.deps.allowPrivate);
    // Signed at each try, so a late retry carries a fresh timestamp.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const status = await post(
      url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': 'agentsudo-server',
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: signWebhook(hook.config.secret, timestamp, body),
        [WEBHOOK_HEADERS.delivery]: delivery,
      },
      this.deps.allowPrivate,
    );
    if (status >= 200 && status < 300) return;
    const message = `${url.origin} answered ${status}`;
    if (status >= 400 && status < 500 && status !== 408 && status !== 429)
      throw new PermanentFailure(message);
    throw new Error(message);
  }
}

/** One POST; resolves to the status, rejects on no answer within the time allowed. */
function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: ATTEMPT_TIMEOUT_MS,
        lookup: allowPrivate ? undefined : publicOnlyLookup,
        agent: false,
      },
      (res) => {
        // The answer's body is not read: only its status counts.
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`${url.origin} did not answer within ${ATTEMPT_TIMEOUT_MS} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });
}
