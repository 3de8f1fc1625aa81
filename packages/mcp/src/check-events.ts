import { createEvent, recordEvent, wantsEvent, type Agent, type SudoAction } from '@agentsudo/core';
import type { DenialReason } from './denial-result';

/**
 * The agent name of the event recorded for a call whose agent could not be recognised.
 * Names in angle brackets cannot be registered, so it is never a real agent's; it is the
 * name `@agentsudo/nestjs` gives refused HTTP requests, so the dashboard shows both alike.
 *
 * @example
 * ```ts
 * events.filter((e) => e.agentName === UNAUTHENTICATED_AGENT_NAME);
 * ```
 */
export const UNAUTHENTICATED_AGENT_NAME = '<unauthenticated>';

/**
 * One MCP tool check, as it becomes an event: the MCP tool name is the function name, and
 * the MCP session id (over Streamable HTTP) and a refusal's reason go in the metadata
 * beside the agent's own.
 *
 * @example
 * ```ts
 * const check: ToolCheck = { tool: 'read_file', scope: 'read:files', mcpSessionId: extra.sessionId };
 * ```
 */
export interface ToolCheck {
  tool: string;
  scope?: string;
  mcpSessionId?: string;
  /** The core session the call runs in, when it runs. */
  sessionId?: string;
  reason?: DenialReason;
}

/**
 * Records the check of a call by `agent`. Never throws: telemetry never breaks the call.
 *
 * @example
 * ```ts
 * recordToolCheck('permission_check', false, agent, { tool: 'write_file', scope: 'write:files', reason: 'scope' });
 * ```
 */
export function recordToolCheck(action: SudoAction, allowed: boolean, agent: Agent, check: ToolCheck): void {
  // Built only when a transport wants it: most setups record no allowed checks.
  if (!wantsEvent(action, allowed)) return;
  recordEvent(
    createEvent({
      agentId: agent.id,
      agentName: agent.name,
      role: agent.role,
      sessionId: check.sessionId,
      action,
      scope: check.scope,
      allowed,
      functionName: check.tool,
      metadata: metadataOf(agent.metadata, check),
    }),
  );
}

/**
 * Records a call refused because no agent was recognised for it.
 *
 * @example
 * ```ts
 * recordUnresolvedCall({ tool: 'read_file', reason: 'unknown_token', mcpSessionId: extra.sessionId });
 * ```
 */
export function recordUnresolvedCall(check: ToolCheck): void {
  recordEvent(
    createEvent({
      agentName: UNAUTHENTICATED_AGENT_NAME,
      action: 'permission_check',
      scope: check.scope,
      allowed: false,
      functionName: check.tool,
      metadata: metadataOf(undefined, check),
    }),
  );
}

function metadataOf(
  own: Readonly<Record<string, unknown>> | undefined,
  check: ToolCheck,
): Record<string, unknown> | undefined {
  if (check.mcpSessionId === undefined && check.reason === undefined) return own as Record<string, unknown>;
  const metadata: Record<string, unknown> = { ...own };
  if (check.mcpSessionId !== undefined) metadata.mcpSessionId = check.mcpSessionId;
  if (check.reason !== undefined) metadata.reason = check.reason;
  return metadata;
}
