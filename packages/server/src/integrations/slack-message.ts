import type { ApprovalRecord } from '../storage/approvals-records';

/**
 * The `action_id`s of the two buttons; their `value` is the approval id.
 *
 * @example
 * ```ts
 * payload.actions[0].action_id === SLACK_ACTIONS.approve;
 * ```
 */
export const SLACK_ACTIONS = { approve: 'agentsudo_approve', deny: 'agentsudo_deny' } as const;

/**
 * A Slack message: fallback `text` (notifications) and Block Kit `blocks`.
 *
 * @example
 * ```ts
 * await client.chat.postMessage({ channel, ...requestMessage(approval) });
 * ```
 */
export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/**
 * Slack reads `&`, `<` and `>` as markup in `text` and mrkdwn: `<!channel>` in an agent's
 * description must stay text.
 */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const plain = (text: string) => ({ type: 'plain_text', text: text.slice(0, 2000) || ' ', emoji: false });

function facts(a: ApprovalRecord): Array<Record<string, unknown>> {
  const fields = [
    plain(`Agent: ${a.agentName}${a.agentId ? ` (${a.agentId})` : ''}`),
    plain(`Scope: ${a.scope}`),
    plain(`Function: ${a.functionName}`),
    plain(`Expires: ${new Date(a.expiresAt).toISOString()}`),
  ];
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: plain('Approval requested') },
    { type: 'section', fields },
  ];
  // Plain text: the description is the developer's words about the call, never markup.
  if (a.description) blocks.push({ type: 'section', text: plain(a.description) });
  return blocks;
}

/**
 * The message that asks for a decision: agent, scope, function, description, expiry, and
 * Approve / Deny buttons carrying the approval id.
 *
 * @example
 * ```ts
 * const { text, blocks } = requestMessage(approval);
 * ```
 */
export function requestMessage(a: ApprovalRecord): SlackMessage {
  return {
    text: escapeMrkdwn(`Approval requested: ${a.agentName} wants ${a.scope} for ${a.functionName}`),
    blocks: [
      ...facts(a),
      {
        type: 'actions',
        block_id: 'agentsudo_decision',
        elements: [
          {
            type: 'button',
            action_id: SLACK_ACTIONS.approve,
            style: 'primary',
            text: plain('Approve'),
            value: a.id,
          },
          {
            type: 'button',
            action_id: SLACK_ACTIONS.deny,
            style: 'danger',
            text: plain('Deny'),
            value: a.id,
          },
        ],
      },
    ],
  };
}

/**
 * What the approval's message becomes once decided or expired: the same facts, and who
 * decided and when instead of the buttons.
 *
 * @example
 * ```ts
 * await client.chat.update({ channel, ts, ...decidedMessage(approval) });
 * ```
 */
export function decidedMessage(a: ApprovalRecord): SlackMessage {
  const outcome = decidedLine(a);
  return {
    text: escapeMrkdwn(`${outcome}: ${a.agentName} asked for ${a.scope} for ${a.functionName}`),
    blocks: [...facts(a), { type: 'context', elements: [plain(outcome)] }],
  };
}

/**
 * "Approved by ops@example.com at …", "Denied by …", or "Expired at …".
 *
 * @example
 * ```ts
 * decidedLine(approval); // 'Approved by ops@example.com at 2026-01-01T12:00:00.000Z'
 * ```
 */
export function decidedLine(a: ApprovalRecord): string {
  const at = new Date(a.decidedAt ?? a.expiresAt).toISOString();
  if (a.status === 'expired') return `Expired at ${at}`;
  const verb = a.status === 'approved' ? 'Approved' : a.status === 'denied' ? 'Denied' : 'Pending';
  return `${verb} by ${a.decidedBy ?? 'unknown'} at ${at}${a.reason ? ` (${a.reason})` : ''}`;
}
