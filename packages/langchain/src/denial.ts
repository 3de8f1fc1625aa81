import { ToolMessage } from '@langchain/core/messages';
import type { DenialReason as CoreDenialReason } from '@agentsudo/core';

/**
 * Why a tool call was refused: a reason of core's (`scope`, `approval`, `rate_limit`, …),
 * `unlisted` (the tool declares no scope) or `no_agent` (no agent could be found for the call).
 *
 * @example
 * ```ts
 * const reason: ToolDenialReason = 'unlisted';
 * ```
 */
export type ToolDenialReason = CoreDenialReason | 'unlisted' | 'no_agent';

/**
 * A refused tool call, as the guard reports it: the text is what the model reads; the rest
 * travels as the tool message's `artifact`, which programs read and the model does not.
 *
 * @example
 * ```ts
 * const denial: ToolDenial = { tool: 'process_refund', agent: 'SupportBot', scope: 'write:refunds', reason: 'scope' };
 * ```
 */
export interface ToolDenial {
  tool: string;
  /** The agent's name, when one was found. */
  agent?: string;
  /** The scope the tool needs, when it declares one. */
  scope?: string;
  reason: ToolDenialReason;
  /** The approval request behind an `approval` refusal. */
  approvalId?: string;
  /** A reviewer's message, when the refusal came from the run's own review. */
  message?: string;
}

/**
 * The sentence the model reads for a refused call. Every AgentSudo framework package says
 * it the same way, so a prompt written for one reads the others alike.
 *
 * @example
 * ```ts
 * denialText({ tool: 'process_refund', agent: 'SupportBot', scope: 'write:refunds', reason: 'scope' });
 * // "Permission denied: SupportBot lacks scope 'write:refunds' for tool 'process_refund'."
 * ```
 */
export function denialText(denial: ToolDenial): string {
  const who = denial.agent ?? 'no agent';
  const needs = denial.scope === undefined ? 'a declared scope' : `scope '${denial.scope}'`;
  const text = `Permission denied: ${who} lacks ${needs} for tool '${denial.tool}'.`;
  return denial.reason === 'scope' ? text : `${text} Reason: ${denial.reason}.`;
}

/**
 * What a refused call answers: a `ToolMessage` with `status: 'error'` when LangChain called
 * the tool for a tool call (the agent loop goes on and the model reads the text), the bare
 * text when the tool was invoked directly. For a `content_and_artifact` tool it is wrapped
 * as the pair such a tool returns.
 *
 * @example
 * ```ts
 * return denialOutput(denial, config.toolCall?.id, tool.responseFormat);
 * ```
 */
export function denialOutput(
  denial: ToolDenial,
  toolCallId: string | undefined,
  responseFormat: string | undefined,
): unknown {
  const text = denialText(denial);
  const output =
    toolCallId === undefined
      ? text
      : new ToolMessage({
          content: text,
          tool_call_id: toolCallId,
          name: denial.tool,
          status: 'error',
          artifact: { agentsudo: denial },
        });
  return responseFormat === 'content_and_artifact' ? [output, { agentsudo: denial }] : output;
}
