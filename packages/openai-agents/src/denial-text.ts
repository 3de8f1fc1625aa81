import type { DenialReason } from '@agentsudo/core';

/**
 * Why a guarded tool call did not run, as the model reads it: core's denial reasons
 * (`scope`, `approval`, `rate_limit`, …), `approval_pending` (the AgentSudo server has not
 * approved the call yet), `unlisted` (the tool declares no scope) and `no_agent` (no agent
 * could be found for the run).
 *
 * @example
 * ```ts
 * const reason: ToolDenialReason = 'approval_pending';
 * ```
 */
export type ToolDenialReason = DenialReason | 'approval_pending' | 'unlisted' | 'no_agent';

/**
 * One refused tool call: who, which tool, the scope it needs, and why.
 *
 * @example
 * ```ts
 * const denial: ToolDenial = { agent: 'SupportBot', tool: 'processRefund', scope: 'write:refunds', reason: 'scope' };
 * ```
 */
export interface ToolDenial {
  agent: string;
  tool: string;
  /** The tool's scope; undefined for a tool that declares none. */
  scope: string | undefined;
  reason: ToolDenialReason;
}

/**
 * The tool result a model reads for a refused call. The same sentence in every AgentSudo
 * framework integration, so a prompt that handles it works with each:
 * `Permission denied: <agent> lacks scope '<scope>' for tool '<tool>'.`, followed by
 * ` Reason: <reason>.` when the reason is not the missing scope itself.
 *
 * @example
 * ```ts
 * deniedToolText({ agent: 'SupportBot', tool: 'processRefund', scope: 'write:refunds', reason: 'scope' });
 * // "Permission denied: SupportBot lacks scope 'write:refunds' for tool 'processRefund'."
 * ```
 */
export function deniedToolText(denial: ToolDenial): string {
  const scope = denial.scope ?? '(none declared)';
  const text = `Permission denied: ${denial.agent} lacks scope '${scope}' for tool '${denial.tool}'.`;
  return denial.reason === 'scope' ? text : `${text} Reason: ${denial.reason}.`;
}
