import { Agent, ConfigurationError } from '@agentsudo/core';

/**
 * What is known about one tool call when its agent is looked up: the tool, the AI SDK's
 * call id and messages, and the tool context given to `generateText` / `streamText`.
 *
 * @example
 * ```ts
 * const byTenant: ToolAgentResolver = (call) => agents.get((call.context as { tenant: string }).tenant);
 * ```
 */
export interface ToolCallContext {
  toolName: string;
  toolCallId: string;
  messages: readonly unknown[];
  context: unknown;
}

/**
 * Finds the agent of one tool call; undefined or null means nobody, and the call is refused.
 * Return the same `Agent` object for the same agent each time: an approval is bound to the
 * agent's id.
 *
 * @example
 * ```ts
 * const resolver: ToolAgentResolver = ({ context }) => (context as { bot: Agent }).bot;
 * ```
 */
export type ToolAgentResolver = (
  call: ToolCallContext,
) => Agent | undefined | null | Promise<Agent | undefined | null>;

/**
 * The agent of a call, or why there is none (`cause`: what the resolver threw or returned).
 *
 * @example
 * ```ts
 * const found = await resolveAgent(call);
 * if (found.agent === undefined) console.log(found.cause);
 * ```
 */
export type AgentLookup = { agent: Agent } | { agent: undefined; cause?: unknown };

/**
 * Builds the lookup of a call's agent from `guardTools`' `agent` option, checked now, so a
 * mistake stops the program at start-up instead of refusing every call.
 *
 * @example
 * ```ts
 * const resolve = agentLookup(supportBot, 'guardTools');
 * ```
 */
export function agentLookup(
  agent: Agent | ToolAgentResolver,
  where: string,
): (call: ToolCallContext) => AgentLookup | Promise<AgentLookup> {
  if (agent instanceof Agent) {
    const fixed: AgentLookup = { agent };
    return () => fixed;
  }
  if (typeof agent !== 'function') {
    throw new ConfigurationError(
      `${where}: agent must be an Agent from @agentsudo/core or a function (call) => Agent, got ${describe(agent)}.`,
    );
  }
  return (call) => {
    let found: ReturnType<ToolAgentResolver>;
    try {
      found = agent(call);
    } catch (cause) {
      return { agent: undefined, cause };
    }
    return found instanceof Promise
      ? found.then(lookedUp, (cause: unknown) => ({ agent: undefined, cause }))
      : lookedUp(found);
  };
}

function lookedUp(found: Agent | undefined | null): AgentLookup {
  if (found instanceof Agent) return { agent: found };
  if (found === undefined || found === null) return { agent: undefined };
  return {
    agent: undefined,
    cause: new ConfigurationError(
      `guardTools: the agent function must return an Agent from @agentsudo/core or undefined, got ${describe(found)}.`,
    ),
  };
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
