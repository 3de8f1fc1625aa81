import type { Agent } from '@agentsudo/core';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { recordToolCheck } from './check-events';
import { denialResult, toolDenial } from './denial-result';
import type { McpPolicy } from './policy-file';
import { mayCall, toolsFor, type ListedTool } from './tool-list';
import { ToolScopes } from './tool-scopes';

/**
 * A JSON-RPC request id as the proxy keys it: ids may be numbers or strings, and `1` and
 * `"1"` are different requests.
 */
type IdKey = string;

/**
 * What to do with one message from the client: send it on to the upstream server, or
 * answer it in the upstream's place (a refused `tools/call`, a request the proxy cannot
 * decide on).
 *
 * @example
 * ```ts
 * const verdict = traffic.fromClient(agent, message, undefined);
 * if ('answer' in verdict) send(verdict.answer); else upstream.send(message);
 * ```
 */
export type ClientVerdict = { forward: true } | { answer: JSONRPCMessage };

/**
 * The proxy's rules on MCP messages, the same for stdio and HTTP: a `tools/call` goes to the
 * upstream only when the agent has the tool's scope (else an `isError` result answers it,
 * as `guardMcpServer`'s does), the upstream's `tools/list` answer is cut down to the agent's
 * tools, and every other message passes unchanged. Only the policy decides a tool's scope:
 * an upstream's own `_meta['agentsudo/scope']` is not asked, since the upstream is what is
 * being guarded.
 *
 * @example
 * ```ts
 * const traffic = new ToolTraffic(loadMcpPolicy('mcp-policy.yaml'));
 * const verdict = traffic.fromClient(reader, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'write_file' } }, undefined);
 * ```
 */
export class ToolTraffic {
  private readonly toolScopes: ToolScopes;

  constructor(policy: Pick<McpPolicy, 'scopeOf' | 'unlisted'>) {
    this.toolScopes = new ToolScopes({ scopes: policy.scopeOf, unlisted: policy.unlisted }, 'agentsudo-mcp');
  }

  /**
   * Decides on one client message sent by `agent`; a `tools/call` check is an event.
   *
   * @example
   * ```ts
   * traffic.fromClient(reader, message, mcpSessionId);
   * ```
   */
  fromClient(agent: Agent, message: JSONRPCMessage, mcpSessionId: string | undefined): ClientVerdict {
    if (!('method' in message) || !('id' in message) || message.method !== 'tools/call')
      return { forward: true };
    const tool = (message.params as { name?: unknown } | undefined)?.name;
    if (typeof tool !== 'string') {
      return {
        answer: {
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32602, message: 'tools/call needs params.name, the name of the tool to call.' },
        },
      };
    }
    const requirement = this.toolScopes.requirementOf(tool);
    const scope = requirement.kind === 'scope' ? requirement.scope : undefined;
    if (mayCall(agent, requirement)) {
      recordToolCheck('permission_check', true, agent, { tool, scope, mcpSessionId });
      return { forward: true };
    }
    const denial = toolDenial(tool, agent, requirement);
    recordToolCheck('permission_check', false, agent, { tool, scope, mcpSessionId, reason: denial.reason });
    return { answer: { jsonrpc: '2.0', id: message.id, result: denialResult(denial) } };
  }

  /**
   * The upstream's answer to a `tools/list` request of `agent`, with only the agent's tools.
   * An answer that is not a tool list (an error) passes unchanged; a result without a
   * `tools` array becomes an error, since nothing in it can be shown safely.
   *
   * @example
   * ```ts
   * client.send(traffic.toolListFor(reader, upstreamAnswer));
   * ```
   */
  toolListFor(agent: Agent, answer: JSONRPCMessage): JSONRPCMessage {
    if (!('result' in answer)) return answer;
    const tools = (answer.result as { tools?: unknown }).tools;
    if (!Array.isArray(tools)) {
      return {
        jsonrpc: '2.0',
        id: answer.id,
        error: { code: -32603, message: 'The upstream MCP server answered tools/list without a tools list.' },
      };
    }
    const shown = toolsFor(
      agent,
      tools.filter(isListedTool),
      (tool) => this.toolScopes.requirementOf(tool.name),
      false,
    );
    return { ...answer, result: { ...answer.result, tools: shown } };
  }
}

/**
 * The requests a client sent on that the upstream has not answered yet, so that when the
 * upstream goes away each of them still gets an answer, and `tools/list` answers can be
 * recognised and filtered.
 *
 * @example
 * ```ts
 * pending.sent(message);
 * const wasList = pending.answered(reply) === 'tools/list';
 * ```
 */
export class PendingRequests {
  private readonly methods = new Map<IdKey, { id: string | number; method: string }>();

  /** Notes a client request forwarded to the upstream. */
  sent(message: JSONRPCMessage): void {
    if ('method' in message && 'id' in message) {
      this.methods.set(keyOf(message.id), { id: message.id, method: message.method });
    }
  }

  /** Forgets the request `reply` answers; returns its method, or undefined for none of ours. */
  answered(reply: JSONRPCMessage): string | undefined {
    if ('method' in reply || !('id' in reply) || reply.id === undefined || reply.id === null)
      return undefined;
    const key = keyOf(reply.id as string | number);
    const found = this.methods.get(key);
    this.methods.delete(key);
    return found?.method;
  }

  /** Error answers to every request still waiting, which are forgotten. */
  failAll(message: string): JSONRPCMessage[] {
    const answers: JSONRPCMessage[] = [...this.methods.values()].map(({ id }) => ({
      jsonrpc: '2.0',
      id,
      error: { code: -32603, message },
    }));
    this.methods.clear();
    return answers;
  }
}

function keyOf(id: string | number): IdKey {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

function isListedTool(tool: unknown): tool is ListedTool {
  return typeof (tool as { name?: unknown } | null)?.name === 'string';
}
