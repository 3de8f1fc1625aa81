import { PermissionDeniedError, type Agent } from '@agentsudo/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DENIAL_META_KEY, SCOPE_META_KEY } from './scope-meta';
import type { ToolRequirement } from './tool-scopes';

/**
 * Why a tool call was refused: the agent lacks the tool's `scope`, the tool declares no
 * scope (`unlisted`) or a bad one, no agent could be recognised for the request, or the
 * approval the call needed was denied or could not be had (`approval`).
 *
 * @example
 * ```ts
 * const reason: DenialReason = 'scope';
 * ```
 */
export type DenialReason =
  | 'scope'
  | 'unlisted'
  | 'invalid_scope'
  | 'conflicting_scope'
  | 'missing_token'
  | 'malformed_token'
  | 'unknown_token'
  | 'no_agent'
  | 'approval';

/**
 * A refused tool call, as the caller is told about it: in the result's text (for the model)
 * and in its `_meta['agentsudo/denial']` (for programs).
 *
 * @example
 * ```ts
 * const denial: ToolDenial = { tool: 'write_file', agent: 'ReadOnlyBot', reason: 'scope', scope: 'write:files', message: '…' };
 * ```
 */
export interface ToolDenial {
  /** The MCP tool name. */
  tool: string;
  /** The calling agent, when one was recognised. */
  agent?: string;
  reason: DenialReason;
  /** The scope the tool needs, when it declares one. */
  scope?: string;
  /** What happened and what to do next, in a sentence a model can act on. */
  message: string;
}

/** Said after every refusal, so a model stops retrying and carries on. */
const NOT_RUN =
  'The call was not run, and calling again will not change that: carry on without this tool, ' +
  'or ask the person who runs this server to grant it.';

/**
 * The denial of a call by `agent` to `tool`, whose requirement is `requirement` (anything
 * but one the agent meets).
 *
 * @example
 * ```ts
 * toolDenial('write_file', readOnlyBot, { kind: 'scope', scope: 'write:files' }).message;
 * // "Agent 'ReadOnlyBot' lacks scope 'write:files' required by MCP tool 'write_file'. It has: read:files. …"
 * ```
 */
export function toolDenial(tool: string, agent: Agent, requirement: ToolRequirement): ToolDenial {
  if (requirement.kind === 'scope') {
    const lacking = new PermissionDeniedError({
      agentName: agent.name,
      scope: requirement.scope,
      functionName: `MCP tool '${tool}'`,
      grantedScopes: agent.scopes,
    });
    return {
      tool,
      agent: agent.name,
      reason: 'scope',
      scope: requirement.scope,
      message: `${lacking.message} ${NOT_RUN}`,
    };
  }
  if (requirement.kind === 'refused' && requirement.reason !== 'unlisted') {
    return {
      tool,
      agent: agent.name,
      reason: requirement.reason,
      message: `${requirement.error.message} ${NOT_RUN}`,
    };
  }
  return {
    tool,
    agent: agent.name,
    reason: 'unlisted',
    message:
      `MCP tool '${tool}' declares no scope, so every call to it is refused. The server's operator can ` +
      `declare one in guardMcpServer's scopes ({ ${tool}: 'some:scope' }) or in the tool's ` +
      `_meta['${SCOPE_META_KEY}'], or allow tools without a scope with unlisted: 'allow'. ${NOT_RUN}`,
  };
}

/**
 * The MCP answer to a refused call: a tool result with `isError: true` whose text says what
 * is missing and what to do, so the model reads it and moves on. Not a protocol error: the
 * session goes on.
 *
 * @example
 * ```ts
 * return denialResult(toolDenial('write_file', agent, requirement));
 * ```
 */
export function denialResult(denial: ToolDenial): CallToolResult {
  return {
    content: [{ type: 'text', text: denial.message }],
    isError: true,
    _meta: { [DENIAL_META_KEY]: denial },
  };
}
