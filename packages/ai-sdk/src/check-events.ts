import { createEvent, recordEvent, type Agent } from '@agentsudo/core';
import type { ToolDenialReason } from './denial-text';

/**
 * The agent name of the event recorded for a call whose agent could not be found. Names in
 * angle brackets cannot be registered, so it is never a real agent's; `@agentsudo/nestjs`
 * and `@agentsudo/mcp` use the same one.
 *
 * @example
 * ```ts
 * events.filter((e) => e.agentName === UNKNOWN_AGENT_NAME);
 * ```
 */
export const UNKNOWN_AGENT_NAME = '<unauthenticated>';

/**
 * Records a check the guard decides itself (a tool with no scope, or no agent), as an event
 * whose function name is the tool's. Scoped tools are checked by core's `sudo()`, which
 * records their events. Never throws: telemetry never breaks the call.
 *
 * @example
 * ```ts
 * recordToolCheck({ tool: 'deleteUser', agent, allowed: false, reason: 'unlisted' });
 * ```
 */
export function recordToolCheck(check: {
  tool: string;
  agent: Agent | undefined;
  allowed: boolean;
  scope?: string;
  sessionId?: string;
  reason?: ToolDenialReason;
}): void {
  const { agent } = check;
  const metadata =
    check.reason === undefined ? agent?.metadata : { ...agent?.metadata, reason: check.reason };
  recordEvent(
    createEvent({
      agentId: agent?.id,
      agentName: agent?.name ?? UNKNOWN_AGENT_NAME,
      role: agent?.role,
      sessionId: check.sessionId,
      action: 'permission_check',
      scope: check.scope,
      allowed: check.allowed,
      functionName: check.tool,
      metadata: metadata as Record<string, unknown> | undefined,
    }),
  );
}
