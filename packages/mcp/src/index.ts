/**
 * @agentsudo/mcp: AgentSudo for the Model Context Protocol. `guardMcpServer` gives every
 * tool of an `McpServer` a scope: `tools/list` shows each agent only its own tools, a
 * refused `tools/call` answers a tool result the model can read, an allowed one runs in the
 * agent's session, and every check is an event.
 *
 * @example
 * ```ts
 * import { guardMcpServer } from '@agentsudo/mcp';
 * guardMcpServer(server, { scopes: { read_file: 'read:files' }, agent: supportBot });
 * ```
 */
export { guardMcpServer, type GuardMcpServerOptions, type McpGuard } from './guard';
export {
  agentFromAuthInfo,
  agentResolution,
  type AgentResolution,
  type McpAgentResolver,
  type McpAgentSource,
  type McpRequestContext,
  type ResolveAgent,
  type UnresolvedReason,
} from './agent-resolution';
export {
  ToolScopes,
  type ToolRequirement,
  type ToolScopeLookup,
  type ToolScopeMap,
  type ToolScopeOptions,
  type UnlistedTools,
} from './tool-scopes';
export { toolsFor, mayCall, type ListedTool } from './tool-list';
export { toolDenial, denialResult, type ToolDenial, type DenialReason } from './denial-result';
export {
  recordToolCheck,
  recordUnresolvedCall,
  UNAUTHENTICATED_AGENT_NAME,
  type ToolCheck,
} from './check-events';
export { admitHttpRequest, type HttpAdmission, type HttpDenial } from './http-admission';
export { SCOPE_META_KEY, ALLOWED_META_KEY, DENIAL_META_KEY, APPROVAL_META_KEY } from './scope-meta';
export {
  awaitingApprovalResult,
  ToolApprovals,
  mcpApprover,
  DEFAULT_MCP_APPROVAL_WAIT_MS,
  type McpApprovalOptions,
  type PendingToolApproval,
} from './tool-approval';
export { ConflictingToolScopeError, UnsupportedMcpServerError } from './errors';
