import type { DenialReason } from '@agentsudo/core';

/**
 * Why a tool call was refused: a reason of core's (`scope`, `approval`, …), or one of the
 * guard's own: the tool has no scope in `scopes` (`unlisted`), or no agent was found for the
 * call (`no_agent`).
 *
 * @example
 * ```ts
 * const reason: ToolDenialReason = 'unlisted';
 * ```
 */
export type ToolDenialReason = DenialReason | 'unlisted' | 'no_agent';

/**
 * A refused tool call, as the model is told about it.
 *
 * @example
 * ```ts
 * const denial: ToolDenial = { agent: 'SupportBot', scope: 'write:refunds', tool: 'processRefund', reason: 'scope' };
 * ```
 */
export interface ToolDenial {
  agent: string;
  /** The tool's scope; undefined for a tool with none (`unlisted`). */
  scope: string | undefined;
  tool: string;
  reason: ToolDenialReason;
  /** One clause more about a reason other than `scope`, such as who denied an approval. */
  detail?: string;
}

/**
 * The text of the tool result a model reads for a refused call:
 * `Permission denied: <agent> lacks scope '<scope>' for tool '<tool>'.`, then the reason
 * when it is not the missing scope. It names the scope, so the model (and whoever reads the
 * transcript) knows what to ask for.
 *
 * @example
 * ```ts
 * deniedToolText({ agent: 'SupportBot', scope: 'write:refunds', tool: 'processRefund', reason: 'scope' });
 * // "Permission denied: SupportBot lacks scope 'write:refunds' for tool 'processRefund'."
 * ```
 */
export function deniedToolText(denial: ToolDenial): string {
  const scope = denial.scope ?? '(none declared)';
  const head = `Permission denied: ${denial.agent} lacks scope '${scope}' for tool '${denial.tool}'.`;
  if (denial.reason === 'scope') return head;
  const detail = denial.detail === undefined ? '' : ` (${denial.detail})`;
  return `${head} Reason: ${denial.reason}${detail}.`;
}
