/**
 * @agentsudo/langchain: AgentSudo for LangChain.js. `guardTools` gives every tool a scope:
 * an allowed call runs in the agent's session, a refused one answers a tool message the
 * model reads, a call that needs approval interrupts the LangGraph run until the AgentSudo
 * server decides, and every check is an event.
 *
 * @example
 * ```ts
 * import { guardTools } from '@agentsudo/langchain';
 * const tools = guardTools([getCustomer, processRefund], {
 *   agent: supportBot,
 *   scopes: { get_customer: 'read:customers', process_refund: 'write:refunds' },
 * });
 * ```
 */
export { guardTools, type GuardToolsOptions, type ToolCallContext } from './guard-tools';
export { denialText, denialOutput, type ToolDenial, type ToolDenialReason } from './denial';
export { approvalInterrupt, rejectionIn, type ApprovalInterrupt } from './approval-review';
export { recordToolCheck, UNRESOLVED_AGENT_NAME, type ToolCheck } from './tool-events';
export { ToolRefusedError } from './errors';
