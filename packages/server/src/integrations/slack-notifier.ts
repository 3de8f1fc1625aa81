import type { ApprovalStep, Approvals } from '../storage/approvals';
import type { ApprovalRecord } from '../storage/approvals-records';
import type { DeliveryQueue } from './delivery-queue';
import type { Integrations } from './integration-store';
import { slackClient, slackFailure } from './slack-client';
import { decidedMessage, requestMessage } from './slack-message';

/**
 * Posts each approval request of a project connected to Slack to its channel, and updates
 * that message when the approval is decided (from anywhere) or expires. Runs on the
 * instance that made the step; failures are retried by the queue and never touch the
 * approval.
 *
 * @example
 * ```ts
 * const stop = new SlackNotifier({ approvals, integrations, queue, slackApiUrl }).start();
 * ```
 */
export class SlackNotifier {
  constructor(
    private readonly deps: {
      approvals: Pick<Approvals, 'observe'>;
      integrations: Integrations;
      queue: DeliveryQueue;
      slackApiUrl?: string;
    },
  ) {}

  /** Starts listening to approval steps; returns the function that stops it. */
  start(): () => void {
    return this.deps.approvals.observe((step) => this.onStep(step));
  }

  private onStep({ step, approval }: ApprovalStep): void {
    const { queue } = this.deps;
    // Keyed by approval: the update waits for the post that made the message.
    if (step === 'requested')
      queue.push('slack: posting an approval request', approval.id, () => this.post(approval));
    else queue.push('slack: updating an approval message', approval.id, () => this.update(approval));
  }

  private async post(approval: ApprovalRecord): Promise<void> {
    const slack = await this.deps.integrations.get(approval.projectId, 'slack');
    if (!slack) return;
    const client = slackClient(slack.config.botToken, this.deps.slackApiUrl);
    const posted = await client.chat
      .postMessage({ channel: slack.config.channel, ...requestMessage(approval) })
      .catch((err) => {
        throw slackFailure(err);
      });
    // chat.update needs the channel's id, which a post to `#name` answers.
    await this.deps.integrations.saveSlackMessage(
      approval.projectId,
      approval.id,
      posted.channel ?? slack.config.channel,
      posted.ts!,
    );
  }

  private async update(approval: ApprovalRecord): Promise<void> {
    const message = await this.deps.integrations.slackMessage(approval.id);
    if (!message) return;
    const slack = await this.deps.integrations.get(approval.projectId, 'slack');
    if (!slack) return;
    const client = slackClient(slack.config.botToken, this.deps.slackApiUrl);
    await client.chat
      .update({ channel: message.channel, ts: message.ts, ...decidedMessage(approval) })
      .catch((err) => {
        throw slackFailure(err);
      });
  }
}
