import type { Agent } from '@agentsudo/core';
import { ALLOWED_META_KEY, APPROVAL_META_KEY, SCOPE_META_KEY } from './scope-meta';
import type { ToolRequirement } from './tool-scopes';

/**
 * The part of an MCP tool definition the listing reads and marks.
 *
 * @example
 * ```ts
 * const tool: ListedTool = { name: 'read_file', _meta: { 'agentsudo/scope': 'read:files' } };
 * ```
 */
export interface ListedTool {
  name: string;
  _meta?: Record<string, unknown>;
}

/**
 * True when `agent` may call a tool of this requirement; nobody may without an agent.
 *
 * @example
 * ```ts
 * mayCall(readOnlyBot, { kind: 'scope', scope: 'write:files' }); // false
 * ```
 */
export function mayCall(agent: Agent | undefined, requirement: ToolRequirement): boolean {
  if (agent === undefined) return false;
  if (requirement.kind === 'scope') return agent.hasScope(requirement.scope);
  return requirement.kind === 'open';
}

/**
 * The `tools/list` answer for `agent`: only the tools it may call, or with `listAll` every
 * tool, those it may not marked `_meta['agentsudo/allowed'] = false`. Each tool that needs a
 * scope shows it in `_meta['agentsudo/scope']`. With `approvable`, a tool whose scope the agent
 * lacks is shown too, marked `_meta['agentsudo/approval'] = true`: it may call it with
 * approval. The tools given are not changed.
 *
 * @example
 * ```ts
 * const { tools } = await originalList();
 * return { tools: toolsFor(readOnlyBot, tools, (t) => toolScopes.requirementOf(t.name, t._meta), false) };
 * ```
 */
export function toolsFor<T extends ListedTool>(
  agent: Agent | undefined,
  tools: readonly T[],
  requirementOf: (tool: T) => ToolRequirement,
  listAll: boolean,
  approvable = false,
): T[] {
  const shown: T[] = [];
  for (const tool of tools) {
    const requirement = requirementOf(tool);
    const allowed = mayCall(agent, requirement);
    const withApproval = !allowed && approvable && agent !== undefined && requirement.kind === 'scope';
    if (!allowed && !withApproval && !listAll) continue;
    const marks: Record<string, unknown> = {};
    if (requirement.kind === 'scope') marks[SCOPE_META_KEY] = requirement.scope;
    if (withApproval) marks[APPROVAL_META_KEY] = true;
    else if (!allowed) marks[ALLOWED_META_KEY] = false;
    shown.push(Object.keys(marks).length ? { ...tool, _meta: { ...tool._meta, ...marks } } : tool);
  }
  return shown;
}
