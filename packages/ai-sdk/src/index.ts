/**
 * @agentsudo/ai-sdk: AgentSudo for the Vercel AI SDK. `guardTools` gives every tool of a tool
 * set a scope: a refused call becomes a tool result the model reads, an allowed one runs in
 * the agent's session, a call that needs approval goes through the AI SDK's tool approval
 * flow with the decision held by the AgentSudo server, and every check is an event.
 *
 * @example
 * ```ts
 * import { guardTools } from '@agentsudo/ai-sdk';
 * const tools = guardTools({ getCustomer }, { agent: supportBot, scopes: { getCustomer: 'read:customers' } });
 * ```
 */
export { guardTools, type GuardToolsOptions } from './guard-tools';
export type { ToolAgentResolver, ToolCallContext } from './agent-source';
export type { ToolApproval } from './approval-source';
export { deniedToolText, type ToolDenial, type ToolDenialReason } from './denial-text';
export { UNKNOWN_AGENT_NAME } from './check-events';
export { NoAgentError } from './errors';
export type { AiSdkCallOptions, AiSdkToolShape } from './tool-shape';
