import { createEvent, recordEvent, type Agent, type SudoAction } from '@agentsudo/core';
import type { ToolDenialReason } from './denial';

/**
 * The agent name of the event recorded for a call no agent could be found for. Names in
 * angle brackets cannot be registered, so it is never a real agent's; `@agentsudo/mcp` and
 * `@agentsudo/nestjs` use the same one, so the dashboard shows all such refusals alike.
 *
 * @example
 * ```ts
 * events.filter((e) => e.agentName === UNRESOLVED_AGENT_NAME);
 * ```
 */
export const UNRESOLVED_AGENT_NAME = '<unauthenticated>';

/**
 * A check the guard records itself, because no `sudo()` made it: a tool without a scope, a
 * call with no agent, a review that rejected the call inside the run.
 *
 * @example
 * ```ts
 * const check: ToolCheck = { tool: 'drop_table', reason: 'unlisted' };
 * ```
 */
export interface ToolCheck {
  tool: string;
  scope?: string;
  reason?: ToolDenialReason;
  sessionId?: string;
  approvalId?: string;
  decidedBy?: string;
}

/**
 * Records one check of a tool call by `agent` (or by no agent) as an event whose function
 * name is the tool's. Never throws: telemetry never breaks the call.
 *
 * @example
 * ```ts
 * recordToolCheck('permission_check', false, agent, { tool: 'drop_table', reason: 'unlisted' });
 * ```
 */
export function recordToolCheck(
  action: SudoAction,
  allowed: boolean,
  agent: Agent | undefined,
  check: ToolCheck,
): void {
  try {
    const event = createEvent({
      agentId: agent?.id,
      agentName: agent?.name ?? UNRESOLVED_AGENT_NAME,
      role: agent?.role,
      sessionId: check.sessionId,
      action,
      scope: check.scope,
      allowed,
      functionName: check.tool,
      // Reasons outside core's list (unlisted, no_agent) go in the metadata, as @agentsudo/mcp does.
      metadata:
        check.reason === undefined
          ? (agent?.metadata as Record<string, unknown> | undefined)
          : { ...agent?.metadata, reason: check.reason },
    });
    if (check.reason === 'approval') event.reason = 'approval';
    if (check.approvalId !== undefined) event.approvalId = check.approvalId;
    if (check.decidedBy !== undefined) event.decidedBy = check.decidedBy;
    recordEvent(event);
  } catch {
    // An event that cannot be built is lost; the call's own outcome stands.
  }
}
