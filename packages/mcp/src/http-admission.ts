import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Agent } from '@agentsudo/core';
import { WWW_AUTHENTICATE, sendJson, type UnauthorizedBody } from '@agentsudo/nestjs/express';
import type { McpRequestContext, ResolveAgent } from './agent-resolution';
import { recordToolCheck, recordUnresolvedCall } from './check-events';
import type { ToolDenial } from './denial-result';
import { mayCall } from './tool-list';
import type { ToolRequirement } from './tool-scopes';

/**
 * How a refused `tools/call` is answered over Streamable HTTP: as an `isError` tool result
 * (`'tool-result'`, the default) or as `403` with `WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="…"` (`'http-403'`), which lets a client that can step up
 * its authorization ask for the scope.
 *
 * @example
 * ```ts
 * guardMcpServer(server, { scopes, agents, httpDenial: 'http-403' });
 * ```
 */
export type HttpDenial = 'tool-result' | 'http-403';

/**
 * What the HTTP check needs from the guard it belongs to.
 *
 * @example
 * ```ts
 * const admission: HttpAdmission = { resolve, requirementOf, httpDenial: 'http-403', onDeny: 'raise', denialOf };
 * ```
 */
export interface HttpAdmission {
  resolve: ResolveAgent;
  requirementOf(tool: string): ToolRequirement | undefined;
  httpDenial: HttpDenial;
  onDeny: 'raise' | 'log';
  denialOf(agent: Agent, tool: string, requirement: ToolRequirement): ToolDenial;
}

/** RFC 6750's scope-token characters; a scope with others is left out of the header. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Checks one HTTP request carrying MCP messages (`body`, already parsed) before the SDK's
 * transport sees it. Answers `401` (JSON `{ error }`, `WWW-Authenticate: Bearer`) when no
 * agent is recognised and, in `'http-403'` mode, `403` (JSON `{ error, scope, agent }`) for
 * a `tools/call` the agent may not make; each refusal is an event. Resolves true when the
 * request may go on to `transport.handleRequest`.
 *
 * @example
 * ```ts
 * if (await admitHttpRequest(req, res, body, admission)) await transport.handleRequest(req, res, body);
 * ```
 */
export async function admitHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  admission: HttpAdmission,
): Promise<boolean> {
  const sessionHeader = req.headers['mcp-session-id'];
  const mcpSessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
  const context: McpRequestContext = {
    authInfo: (req as { auth?: McpRequestContext['authInfo'] }).auth,
    sessionId: mcpSessionId,
    requestInfo: { headers: req.headers },
  };
  const messages = Array.isArray(body) ? body : [body];
  const resolution = await admission.resolve(context);
  const agent = resolution.agent;
  if (agent === undefined) {
    const [first] = toolCalls(messages);
    recordUnresolvedCall({
      tool: first ?? methodOf(messages[0]) ?? '(MCP request)',
      mcpSessionId,
      reason: resolution.reason,
    });
    const refusal: UnauthorizedBody = { error: resolution.message };
    sendJson(res, 401, refusal, { 'WWW-Authenticate': WWW_AUTHENTICATE });
    return false;
  }
  if (admission.httpDenial !== 'http-403' || admission.onDeny === 'log') return true;
  for (const tool of toolCalls(messages)) {
    const requirement = admission.requirementOf(tool);
    if (requirement === undefined || mayCall(agent, requirement)) continue;
    const denial = admission.denialOf(agent, tool, requirement);
    recordToolCheck('permission_check', false, agent, {
      tool,
      scope: denial.scope,
      mcpSessionId,
      reason: denial.reason,
    });
    const forbidden = { error: denial.message, scope: denial.scope ?? null, agent: agent.name };
    sendJson(res, 403, forbidden, { 'WWW-Authenticate': insufficientScope(denial.scope) });
    return false;
  }
  return true;
}

/** The names of the tools called by `tools/call` messages among `messages`. */
function toolCalls(messages: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const message of messages) {
    if (methodOf(message) !== 'tools/call') continue;
    const name = (message as { params?: { name?: unknown } }).params?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

function methodOf(message: unknown): string | undefined {
  const method = (message as { method?: unknown } | null)?.method;
  return typeof method === 'string' ? method : undefined;
}

function insufficientScope(scope: string | undefined): string {
  const scopeParam = scope !== undefined && SCOPE_TOKEN.test(scope) ? `, scope="${scope}"` : '';
  return `Bearer realm="agentsudo", error="insufficient_scope"${scopeParam}`;
}
