import type { IncomingMessage } from 'node:http';
import { Agent, ConfigurationError } from '@agentsudo/core';
import {
  AgentRegistry,
  MissingAgentCredentialError,
  bearerToken,
  type AgentRegistration,
} from '@agentsudo/nestjs/express';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { RequestInfo } from '@modelcontextprotocol/sdk/types.js';

/**
 * What is known about an MCP request when its agent is looked up: the fields of the SDK's
 * `RequestHandlerExtra` that say who is calling. Over Streamable HTTP `authInfo` is what the
 * SDK's bearer-auth middleware verified and `requestInfo.headers` the request's headers;
 * over stdio and in-process transports both are absent.
 *
 * @example
 * ```ts
 * const context: McpRequestContext = { authInfo: extra.authInfo, sessionId: extra.sessionId };
 * ```
 */
export interface McpRequestContext {
  authInfo?: AuthInfo;
  sessionId?: string;
  requestInfo?: RequestInfo;
}

/**
 * Finds the agent of one MCP request; undefined or null means nobody, and the call is refused.
 *
 * @example
 * ```ts
 * const byToken: McpAgentResolver = (context) => agentForToken(context.authInfo?.token);
 * ```
 */
export type McpAgentResolver = (
  context: McpRequestContext,
) => Agent | undefined | null | Promise<Agent | undefined | null>;

/**
 * Who calls the server: one agent for the whole process (stdio), a resolver run per request,
 * or registered agents found by their bearer token (the same registrations as
 * `@agentsudo/nestjs`), read from `authInfo.token` or the `Authorization` header.
 *
 * @example
 * ```ts
 * const fixed: McpAgentSource = { agent: supportBot };
 * const byToken: McpAgentSource = { agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN! }] };
 * ```
 */
export interface McpAgentSource {
  agent?: Agent | McpAgentResolver;
  agents?: readonly AgentRegistration[] | AgentRegistry;
}

/**
 * Why no agent was found for a request: no token, a header of another form, a token no
 * agent holds, or a resolver that named nobody (or failed).
 *
 * @example
 * ```ts
 * const reason: UnresolvedReason = 'unknown_token';
 * ```
 */
export type UnresolvedReason = 'missing_token' | 'malformed_token' | 'unknown_token' | 'no_agent';

/**
 * The outcome of looking up a request's agent: the agent, or why there is none and what
 * the client should send instead.
 *
 * @example
 * ```ts
 * const resolution = await resolveAgent(context);
 * if (resolution.agent === undefined) console.log(resolution.message);
 * ```
 */
export type AgentResolution =
  { agent: Agent } | { agent: undefined; reason: UnresolvedReason; message: string; error?: unknown };

/**
 * Looks up the agent of a request; may answer synchronously (a fixed agent, a token).
 *
 * @example
 * ```ts
 * const resolve: ResolveAgent = agentResolution({ agent: supportBot }, 'guardMcpServer');
 * ```
 */
export type ResolveAgent = (context: McpRequestContext) => AgentResolution | Promise<AgentResolution>;

/**
 * Builds the lookup of a request's agent from its source, checking the source now, so a
 * mistake stops the server at start-up instead of refusing every call.
 *
 * @example
 * ```ts
 * const resolve = agentResolution({ agents: [{ agent: bot, token }] }, 'guardMcpServer');
 * await resolve({ authInfo: { token, clientId: 'c', scopes: [] } }); // { agent: bot }
 * ```
 */
export function agentResolution(source: McpAgentSource, where: string): ResolveAgent {
  const { agent, agents } = source;
  if ((agent === undefined) === (agents === undefined)) {
    throw new ConfigurationError(
      `${where}: say who calls the server with exactly one of agent (an Agent, or a function of the ` +
        `request returning one) and agents (registrations like [{ agent, token }]).`,
    );
  }
  if (agent instanceof Agent) {
    const fixed: AgentResolution = { agent };
    return () => fixed;
  }
  if (typeof agent === 'function') {
    return (context) => {
      let found: ReturnType<McpAgentResolver>;
      try {
        found = agent(context);
      } catch (error) {
        return resolverFailed(error);
      }
      return isPromiseLike(found) ? Promise.resolve(found).then(resolved, resolverFailed) : resolved(found);
    };
  }
  if (agent !== undefined) {
    throw new ConfigurationError(
      `${where}: agent must be an Agent from @agentsudo/core or a function (context) => Agent, got ${typeof agent}.`,
    );
  }
  const registry =
    agents instanceof AgentRegistry ? agents : new AgentRegistry(agents as AgentRegistration[]);
  const [unreachable] = registry.withoutToken();
  if (unreachable !== undefined) {
    throw new MissingAgentCredentialError(
      where,
      unreachable.name,
      `agents[${registry.list().indexOf(unreachable)}]`,
    );
  }
  return (context) => byToken(registry, context);
}

/**
 * A resolver for servers behind the SDK's bearer-auth middleware: the agent is the token's
 * client, with the token's scopes as its scopes (`authInfo.clientId`, `authInfo.scopes`).
 *
 * @example
 * ```ts
 * app.post('/mcp', requireBearerAuth({ verifier }), handle);
 * guardMcpServer(server, { scopes, agent: agentFromAuthInfo({ role: 'oauth-client' }) });
 * ```
 */
export function agentFromAuthInfo(
  options: { role?: string; metadata?: Record<string, unknown> } = {},
): McpAgentResolver {
  return ({ authInfo }) => {
    if (authInfo === undefined) return undefined;
    return new Agent({
      name: authInfo.clientId,
      scopes: authInfo.scopes,
      role: options.role,
      metadata: options.metadata,
    });
  };
}

function byToken(registry: AgentRegistry, context: McpRequestContext): AgentResolution {
  const header = context.requestInfo?.headers?.authorization;
  const token =
    context.authInfo?.token ??
    (typeof header === 'string'
      ? bearerToken({ headers: { authorization: header } } as IncomingMessage)
      : undefined);
  const agent = registry.authenticate(token);
  if (agent !== undefined) return { agent };
  if (token !== undefined) {
    return {
      agent: undefined,
      reason: 'unknown_token',
      message: 'Unknown agent token: no registered agent holds it. Check the token, or register the agent.',
    };
  }
  if (typeof header === 'string') {
    return {
      agent: undefined,
      reason: 'malformed_token',
      message: 'Malformed Authorization header: use the form Authorization: Bearer <agent token>.',
    };
  }
  return {
    agent: undefined,
    reason: 'missing_token',
    message: 'Missing agent token: send Authorization: Bearer <agent token> with each MCP request.',
  };
}

function resolved(found: Agent | undefined | null): AgentResolution {
  if (found instanceof Agent) return { agent: found };
  if (found === undefined || found === null) {
    return {
      agent: undefined,
      reason: 'no_agent',
      message: 'No agent recognised for this request: the server names none for these credentials.',
    };
  }
  return resolverFailed(
    new ConfigurationError(
      `The agent resolver must return an Agent from @agentsudo/core or undefined, got ${typeof found}.`,
    ),
  );
}

function resolverFailed(error: unknown): AgentResolution {
  // The resolver's own message may hold server secrets: the client only learns that it failed.
  return {
    agent: undefined,
    reason: 'no_agent',
    message:
      'The server could not tell which agent is calling (its agent lookup failed), so the call is refused.',
    error,
  };
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}
