import { normalizeEmail } from '../auth/emails';
import type { Accounts } from '../storage/accounts';
import type { Approvals } from '../storage/approvals';
import { ApprovalNotFoundError, ApprovalStateError } from '../storage/approvals-errors';
import type { Integrations, SlackConfig } from './integration-store';
import { slackClient } from './slack-client';
import { decidedLine, SLACK_ACTIONS } from './slack-message';
import { freshSlackTimestamp, SlackSignatureError, verifySlackSignature } from './slack-signature';

/** An approval id as the server makes them (22 base64url characters). */
const APPROVAL_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * A click on an Approve or Deny button, as read from Slack's `block_actions` payload.
 *
 * @example
 * ```ts
 * const click: SlackClick = { approvalId: 'Xk2…', decision: 'approve', userId: 'U0123', channelId: 'C0123ABCD' };
 * ```
 */
export interface SlackClick {
  approvalId: string;
  decision: 'approve' | 'deny';
  userId: string;
  channelId?: string;
}

/**
 * The click a Slack interaction payload carries, or undefined for anything else (another
 * app's button, a malformed payload).
 *
 * @example
 * ```ts
 * const click = readSlackClick(JSON.parse(form.get('payload')!));
 * ```
 */
export function readSlackClick(payload: unknown): SlackClick | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as {
    type?: unknown;
    actions?: Array<{ action_id?: unknown; value?: unknown }>;
    user?: { id?: unknown };
    channel?: { id?: unknown };
  };
  if (p.type !== 'block_actions' || !Array.isArray(p.actions) || p.actions.length === 0) return undefined;
  const action = p.actions[0];
  const decision =
    action?.action_id === SLACK_ACTIONS.approve
      ? 'approve'
      : action?.action_id === SLACK_ACTIONS.deny
        ? 'deny'
        : undefined;
  if (!decision || typeof action.value !== 'string' || !APPROVAL_ID.test(action.value)) return undefined;
  if (typeof p.user?.id !== 'string') return undefined;
  return {
    approvalId: action.value,
    decision,
    userId: p.user.id,
    channelId: typeof p.channel?.id === 'string' ? p.channel.id : undefined,
  };
}

/**
 * Decides approvals from Slack clicks. Only a Slack user whose email (`users.info`) is a
 * dashboard user's may decide; anyone else, and a click on an approval already decided or
 * expired, is told so in an ephemeral message and nothing changes. The message itself is
 * updated by the {@link SlackNotifier} once the decision is made.
 *
 * @example
 * ```ts
 * const interactions = new SlackInteractions({ approvals, accounts, integrations, slackApiUrl });
 * const answer = await interactions.fromHttp(rawBody, request.headers);
 * ```
 */
export class SlackInteractions {
  constructor(
    private readonly deps: {
      approvals: Pick<Approvals, 'decide' | 'get'>;
      accounts: Pick<Accounts, 'findUserByEmail'>;
      integrations: Integrations;
      slackApiUrl?: string;
      log: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  /**
   * A request to the interactivity URL: verifies Slack's signature with the signing secret
   * of the project that holds the clicked approval, then decides. The payload only picks
   * which secret to check; nothing in it counts until that check passes. Throws
   * {@link SlackSignatureError} (answer 401) for anything that does not verify.
   */
  async fromHttp(rawBody: Buffer, headers: Record<string, unknown>, now = Date.now()): Promise<void> {
    const timestamp = freshSlackTimestamp(headers['x-slack-request-timestamp'], now);
    if (typeof headers['x-slack-signature'] !== 'string') throw new SlackSignatureError('missing');
    const click = readSlackClick(parsePayload(rawBody));
    // Every request that cannot be checked reads as a bad signature: a caller learns nothing
    // of which approvals or projects exist.
    if (!click) throw new SlackSignatureError('mismatch');
    const projectId = await this.deps.integrations.projectOfApproval(click.approvalId);
    const slack = projectId && (await this.deps.integrations.get(projectId, 'slack'));
    if (!projectId || !slack || slack.config.mode !== 'http' || !slack.config.signingSecret)
      throw new SlackSignatureError('mismatch');
    verifySlackSignature(slack.config.signingSecret, timestamp, headers['x-slack-signature'], rawBody);
    await this.decide(projectId, slack.config, click);
  }

  /**
   * Decides a verified click on an approval of `projectId` (the HTTP route after its
   * signature check, or Socket Mode, whose connection is the project's own).
   */
  async decide(projectId: string, slack: SlackConfig, click: SlackClick): Promise<void> {
    const client = slackClient(slack.botToken, this.deps.slackApiUrl);
    const tell = async (text: string) => {
      await client.chat
        .postEphemeral({ channel: click.channelId ?? slack.channel, user: click.userId, text })
        .catch((err: Error) =>
          this.deps.log('slack: an ephemeral answer could not be posted', { err: err.message }),
        );
    };
    let email: string | undefined;
    try {
      const info = await client.users.info({ user: click.userId });
      if (!info.user?.deleted && !info.user?.is_bot) email = info.user?.profile?.email;
    } catch (err) {
      // Who clicked cannot be checked: nothing is decided (a decision that cannot be made denies nothing and allows nothing).
      this.deps.log('slack: users.info failed, the click was not decided', { err: (err as Error).message });
      await tell(
        'AgentSudo could not check who you are in Slack, so nothing was decided. Try again, or decide in the dashboard.',
      );
      return;
    }
    const user = email ? await this.deps.accounts.findUserByEmail(normalizeEmail(email)) : undefined;
    if (!user) {
      await tell(
        'You are not allowed to decide approvals of this project: only members of its AgentSudo dashboard may, ' +
          'matched by the email of your Slack profile. Ask an admin to add you.',
      );
      return;
    }
    try {
      await this.deps.approvals.decide(projectId, click.approvalId, {
        decision: click.decision,
        decidedBy: user.email,
      });
    } catch (err) {
      if (err instanceof ApprovalStateError) {
        const current = await this.deps.approvals.get(projectId, click.approvalId);
        await tell(
          current?.status === 'expired'
            ? `This request expired: ${decidedLine(current)}. Nothing was decided.`
            : `Already decided: ${current ? decidedLine(current) : err.status}.`,
        );
        return;
      }
      if (err instanceof ApprovalNotFoundError) {
        await tell('This approval is not one of this project. Nothing was decided.');
        return;
      }
      throw err;
    }
  }
}

/** The `payload` field of Slack's form body, parsed; undefined when it is not JSON. */
function parsePayload(rawBody: Buffer): unknown {
  const text = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
