/**
 * @agentsudo/openai-agents: AgentSudo for the OpenAI Agents SDK. `guardTools` gives every
 * function tool a scope: a refused call becomes a tool result the model reads, an allowed
 * one runs in the agent's session, tools that need a person's approval interrupt the run
 * while the AgentSudo server holds the request, and every check is an event.
 *
 * @example
 * ```ts
 * import { guardTools } from '@agentsudo/openai-agents';
 * const tools = guardTools([getCustomer, processRefund], {
 *   agent: supportBot,
 *   scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' },
 * });
 * ```
 */
export { guardTools, type GuardToolsOptions } from './guard-tools';
export { type ToolApprovalOptions } from './approval-mapping';
export { deniedToolText, type ToolDenial, type ToolDenialReason } from './denial-text';
export { UnknownRunAgentError, UnlistedToolError } from './errors';
export { type RunAgent } from './run-agent';
export type { FunctionToolLike, RunContextLike, ToolCallDetailsLike } from './sdk-shapes';
