import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError, wantsEvent, type Agent, type Approver } from '@agentsudo/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  agentResolution,
  type AgentResolution,
  type McpAgentSource,
  type McpRequestContext,
} from './agent-resolution';
import { recordToolCheck, recordUnresolvedCall } from './check-events';
import { denialResult, toolDenial, type ToolDenial } from './denial-result';
import { admitHttpRequest, type HttpDenial } from './http-admission';
import { serverHooks, type RawRequestHandler } from './server-hooks';
import { ToolApprovals, mcpApprover, type McpApprovalOptions } from './tool-approval';
import { mayCall, toolsFor } from './tool-list';
import { ToolScopes, type ToolRequirement, type ToolScopeMap, type UnlistedTools } from './tool-scopes';

/**
 * How `guardMcpServer` guards a server: the scope of each tool, who is calling, and what a
 * refusal looks like.
 *
 * @example
 * ```ts
 * const options: GuardMcpServerOptions = {
 *   scopes: { read_file: 'read:files', write_file: 'write:files' },
 *   agent: supportBot,
 * };
 * ```
 */
export interface GuardMcpServerOptions extends McpAgentSource {
  /** Tool name to the scope it needs. A tool can also declare it in `_meta['agentsudo/scope']`. */
  scopes?: ToolScopeMap;
  /** Tools with no scope: `'deny'` (default) refuses them; `'allow'` lets every agent call them. */
  unlisted?: UnlistedTools;
  /** Show every tool in `tools/list`, those the agent may not call marked `_meta['agentsudo/allowed'] = false`. */
  listAll?: boolean;
  /**
   * `'raise'` (default): a refused call answers an `isError` tool result. `'log'` is audit
   * mode, as with `@Sudo`: a call lacking its scope runs and is recorded as `audit_violation`.
   */
  onDeny?: 'raise' | 'log';
  /**
   * Over Streamable HTTP, with {@link McpGuard.admitHttpRequest}: `'tool-result'` (default)
   * leaves refusals to the tool result; `'http-403'` answers a `tools/call` the agent may not
   * make with `403` and `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, as
   * the MCP authorization spec describes for step-up.
   */
  httpDenial?: HttpDenial;
  /**
   * Asks a person before refusing a call the agent lacks the tool's scope for: options of
   * `cloudApproval` (the request is held by the AgentSudo server and decided on its dashboard
   * or in Slack), or any approver. A call waits at most `waitMs` (default 50,000, under the
   * usual 60 s client timeout); still undecided, it answers an `isError` result saying it
   * awaits approval, with the request's id, and the same call made again after approval runs
   * once. Such tools are listed to the agent, marked `_meta['agentsudo/approval'] = true`.
   */
  approval?: Approver | McpApprovalOptions;
}

/**
 * A guarded server's handle: what the guard decides, for HTTP front doors and tests.
 *
 * @example
 * ```ts
 * const guard = guardMcpServer(server, options);
 * guard.requirementOf('write_file'); // { kind: 'scope', scope: 'write:files' }
 * ```
 */
export interface McpGuard {
  readonly server: McpServer;
  /**
   * What calling `tool` takes, or undefined for a tool the server does not have.
   *
   * @example
   * ```ts
   * guard.requirementOf('delete_file');
   * ```
   */
  requirementOf(tool: string): ToolRequirement | undefined;
  /**
   * Checks an MCP request over HTTP before it reaches the SDK's transport: answers `401`
   * when no agent is recognised and, with `httpDenial: 'http-403'`, `403` for a
   * `tools/call` the agent may not make. Resolves true when the request may go on.
   *
   * @example
   * ```ts
   * if (await guard.admitHttpRequest(req, res, body)) await transport.handleRequest(req, res, body);
   * ```
   */
  admitHttpRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<boolean>;
}

const guarded = new WeakSet<object>();
const WHERE = 'guardMcpServer';

/**
 * Puts AgentSudo in front of every tool of an `McpServer`, those registered before and after:
 * each tool needs a scope (from `scopes` or its `_meta['agentsudo/scope']`) or is refused
 * unless `unlisted: 'allow'`; `tools/list` shows the calling agent only its own tools; a
 * refused `tools/call` answers an `isError` result naming the missing scope; an allowed one
 * runs in the agent's session, so `@Sudo` methods inside are checked as that agent. Every
 * check is an event whose function name is the tool's.
 *
 * @example
 * ```ts
 * const server = new McpServer({ name: 'files', version: '1.0.0' });
 * guardMcpServer(server, {
 *   scopes: { read_file: 'read:files', write_file: 'write:files' },
 *   agent: supportBot, // or per request: agents: [{ agent: supportBot, token }]
 * });
 * server.registerTool('read_file', { inputSchema: { path: z.string() } }, async ({ path }) => read(path));
 * ```
 */
export function guardMcpServer(server: McpServer, options: GuardMcpServerOptions): McpGuard {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(
      `${WHERE}(server, options): options must be an object like { scopes: { read_file: 'read:files' }, agent }.`,
    );
  }
  if (typeof server !== 'object' || server === null) {
    throw new ConfigurationError(
      `${WHERE}(server, options): server must be an McpServer, got ${String(server)}.`,
    );
  }
  if (guarded.has(server)) {
    throw new ConfigurationError(`${WHERE}: this server is already guarded; guard each McpServer once.`);
  }
  const { onDeny = 'raise', listAll = false, httpDenial = 'tool-result' } = options;
  if (onDeny !== 'raise' && onDeny !== 'log') {
    throw new ConfigurationError(
      `${WHERE}: onDeny must be 'raise' (the default) or 'log', got ${JSON.stringify(onDeny)}.`,
    );
  }
  if (typeof listAll !== 'boolean') {
    throw new ConfigurationError(`${WHERE}: listAll must be true or false, got ${JSON.stringify(listAll)}.`);
  }
  if (httpDenial !== 'tool-result' && httpDenial !== 'http-403') {
    throw new ConfigurationError(
      `${WHERE}: httpDenial must be 'tool-result' (the default) or 'http-403', got ${JSON.stringify(httpDenial)}.`,
    );
  }
  const approver = options.approval === undefined ? undefined : mcpApprover(options.approval, WHERE);
  const approvals = approver === undefined ? undefined : new ToolApprovals(approver);
  if (approver !== undefined && onDeny === 'log') {
    throw new ConfigurationError(
      `${WHERE}: onDeny: 'log' lets every call run, so approval would never be asked; drop one of them.`,
    );
  }
  if (approver !== undefined && httpDenial === 'http-403') {
    throw new ConfigurationError(
      `${WHERE}: httpDenial: 'http-403' refuses a call lacking its scope before approval can be asked; ` +
        `drop one of them.`,
    );
  }
  const toolScopes = new ToolScopes(options, WHERE);
  const resolve = agentResolution(options, WHERE);
  const hooks = serverHooks(server, WHERE);
  for (const name of hooks.toolNames()) toolScopes.assertDeclarable(name, hooks.registeredTool(name)?._meta);

  const requirementOf = (tool: string): ToolRequirement | undefined => {
    const registered = hooks.registeredTool(tool);
    return registered === undefined ? undefined : toolScopes.requirementOf(tool, registered._meta);
  };
  const reportError = (error: unknown) =>
    server.server.onerror?.(error instanceof Error ? error : new Error(String(error)));

  const list: RawRequestHandler = async (request, extra) => {
    const resolution = await resolve(contextOf(extra));
    if (resolution.agent === undefined && resolution.error !== undefined) reportError(resolution.error);
    const answer = await hooks.list(request, extra);
    const tools = toolsFor(
      resolution.agent,
      answer.tools,
      (tool) => toolScopes.requirementOf(tool.name, tool._meta),
      listAll,
      approver !== undefined,
    );
    return { ...answer, tools };
  };

  const call: RawRequestHandler = (request, extra) => {
    const tool: unknown = request?.params?.name;
    const requirement = typeof tool === 'string' ? requirementOf(tool) : undefined;
    // No such tool (or no name): the SDK answers as it always does, and nothing runs.
    if (requirement === undefined) return hooks.call(request, extra);
    const resolution = resolve(contextOf(extra));
    return resolution instanceof Promise
      ? resolution.then((found) => guardedCall(found, tool as string, requirement, request, extra))
      : guardedCall(resolution, tool as string, requirement, request, extra);
  };

  // Every tools/call passes here, so the allowed path allocates as little as it can: the
  // request and extra are passed along rather than captured in a closure per step.
  function guardedCall(
    resolution: AgentResolution,
    tool: string,
    requirement: ToolRequirement,
    request: any,
    extra: any,
  ): Promise<unknown> {
    const scope = requirement.kind === 'scope' ? requirement.scope : undefined;
    const agent = resolution.agent;
    if (agent === undefined) {
      if (resolution.error !== undefined) reportError(resolution.error);
      recordUnresolvedCall({ tool, scope, mcpSessionId: extra?.sessionId, reason: resolution.reason });
      return Promise.resolve(denialResult(unresolvedDenial(tool, scope, resolution)));
    }
    if (mayCall(agent, requirement))
      return runAs(agent, 'permission_check', true, tool, scope, request, extra);
    if (onDeny === 'log' && scope !== undefined) {
      return runAs(agent, 'audit_violation', false, tool, scope, request, extra);
    }
    if (approvals !== undefined && scope !== undefined) {
      // The approval's events are recorded by core's check (and by the server that holds it).
      const args: unknown = request?.params?.arguments;
      return agent.startSession(() =>
        approvals.call(agent, tool, scope, args ?? {}, () => hooks.call(request, extra)),
      );
    }
    const denial = toolDenial(tool, agent, requirement);
    recordToolCheck('permission_check', false, agent, {
      tool,
      scope,
      mcpSessionId: extra?.sessionId,
      reason: denial.reason,
    });
    return Promise.resolve(denialResult(denial));
  }

  /** Runs the SDK's own handler in a session of `agent`, the check recorded as `action`. */
  function runAs(
    agent: Agent,
    action: 'permission_check' | 'audit_violation',
    allowed: boolean,
    tool: string,
    scope: string | undefined,
    request: any,
    extra: any,
  ): Promise<unknown> {
    return agent.startSession((session) => {
      // Asked here too, so a server nobody listens to does not even build the check.
      if (wantsEvent(action, allowed)) {
        recordToolCheck(action, allowed, agent, {
          tool,
          scope,
          mcpSessionId: extra?.sessionId,
          sessionId: session.id,
        });
      }
      return hooks.call(request, extra);
    });
  }

  hooks.replace(list, call);
  guarded.add(server);
  return {
    server,
    requirementOf,
    admitHttpRequest: (req, res, body) =>
      admitHttpRequest(req, res, body, {
        resolve,
        requirementOf,
        httpDenial,
        onDeny,
        denialOf: (agent: Agent, tool: string, requirement: ToolRequirement) =>
          toolDenial(tool, agent, requirement),
      }),
  };
}

function unresolvedDenial(
  tool: string,
  scope: string | undefined,
  resolution: Extract<AgentResolution, { agent: undefined }>,
): ToolDenial {
  return {
    tool,
    reason: resolution.reason,
    scope,
    message: `${resolution.message} The call to MCP tool '${tool}' was not run.`,
  };
}

function contextOf(extra: any): McpRequestContext {
  return { authInfo: extra?.authInfo, sessionId: extra?.sessionId, requestInfo: extra?.requestInfo };
}
