import type { ApprovalPendingError } from '@agentsudo/core';

/**
 * What the run's interrupt carries while the AgentSudo server holds an approval request
 * for a tool call. It has the shape of LangChain's human-in-the-loop middleware request
 * (`actionRequests`, `reviewConfigs`), so a UI built for that middleware shows it as is,
 * plus `agentsudo`: the request on the server, to approve on the dashboard or in Slack.
 *
 * @example
 * ```ts
 * const [pending] = result.__interrupt__;
 * const { approvalId } = (pending.value as ApprovalInterrupt).agentsudo;
 * ```
 */
export interface ApprovalInterrupt {
  actionRequests: { name: string; args: Record<string, unknown>; description: string }[];
  reviewConfigs: { actionName: string; allowedDecisions: ('approve' | 'reject')[] }[];
  agentsudo: {
    approvalId: string;
    agent: string;
    scope: string;
    tool: string;
    expiresAt?: string;
  };
}

/**
 * The interrupt value for `tool`, called with `input`, whose approval `pending` is waiting on
 * the server.
 *
 * @example
 * ```ts
 * interrupt(approvalInterrupt('process_refund', input, pending));
 * ```
 */
export function approvalInterrupt(
  tool: string,
  input: unknown,
  pending: ApprovalPendingError,
): ApprovalInterrupt {
  const agent = pending.agentName ?? 'the agent';
  return {
    actionRequests: [
      {
        name: tool,
        args: typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : { input },
        description:
          `${agent} lacks scope '${pending.scope}' for tool '${tool}'. Approval ${pending.approvalId} ` +
          `waits on the AgentSudo server: approve or deny it there, then resume the run.`,
      },
    ],
    // No 'edit': the server's approval is bound to these exact arguments.
    reviewConfigs: [{ actionName: tool, allowedDecisions: ['approve', 'reject'] }],
    agentsudo: {
      approvalId: pending.approvalId,
      agent,
      scope: pending.scope,
      tool,
      ...(pending.expiresAt !== undefined && { expiresAt: pending.expiresAt }),
    },
  };
}

/**
 * A rejection found in the value a run was resumed with (`Command({ resume })`): the human-
 * in-the-loop middleware's `{ decisions: [{ type: 'reject', message? }] }`, or
 * `{ type: 'reject' }`. A rejection is honoured at once; anything else only makes the tool
 * ask the server again, because the run's own history can never approve a call.
 *
 * @example
 * ```ts
 * rejectionIn({ decisions: [{ type: 'reject', message: 'not today' }] }); // { message: 'not today' }
 * rejectionIn({ decisions: [{ type: 'approve' }] }); // undefined
 * ```
 */
export function rejectionIn(resume: unknown): { message?: string } | undefined {
  const decision = firstDecision(resume);
  if (decision === undefined || decision.type !== 'reject') return undefined;
  return typeof decision.message === 'string' ? { message: decision.message } : {};
}

function firstDecision(resume: unknown): { type?: unknown; message?: unknown } | undefined {
  if (typeof resume !== 'object' || resume === null) return undefined;
  const decisions = (resume as { decisions?: unknown }).decisions;
  if (Array.isArray(decisions)) {
    const first: unknown = decisions[0];
    return typeof first === 'object' && first !== null ? first : undefined;
  }
  return resume as { type?: unknown };
}
