import { ConfigurationError } from '@agentsudo/core';
import { MissingAgentCredentialError } from './errors';
import { AgentRegistry, type AgentRegistration } from './registry';
import type { AgentResolver } from './request-session';

/**
 * Who may call: registered agents (authenticated by bearer token) and, optionally, a
 * resolver that replaces the bearer lookup.
 *
 * @example
 * ```ts
 * const options: AgentSource = { agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN! }] };
 * ```
 */
export interface AgentSource {
  /** Registrations, or a registry you keep adding to. */
  agents?: readonly AgentRegistration[] | AgentRegistry;
  /** Replaces `Authorization: Bearer` lookup; returning no agent answers 401. */
  resolveAgent?: AgentResolver;
}

/**
 * Validates an {@link AgentSource} and builds its registry, naming the bad value. Without a
 * `resolveAgent`, every agent must have a token: one without could never be called.
 *
 * @example
 * ```ts
 * const { registry, resolveAgent } = readAgentSource(options, 'agentSudoMiddleware');
 * ```
 */
export function readAgentSource(
  source: AgentSource | undefined,
  where: string,
): { registry: AgentRegistry; resolveAgent: AgentResolver | undefined } {
  if (source === undefined) source = {};
  if (typeof source !== 'object' || source === null) {
    throw new ConfigurationError(`${where}: options must be an object like { agents: [{ agent, token }] }.`);
  }
  const { agents, resolveAgent } = source;
  if (resolveAgent !== undefined && typeof resolveAgent !== 'function') {
    throw new ConfigurationError(
      `${where}: resolveAgent must be a function (req, registry) => Agent | undefined, got ${typeof resolveAgent}.`,
    );
  }
  const registry = agents instanceof AgentRegistry ? agents : new AgentRegistry(agents ?? []);
  if (resolveAgent === undefined) {
    const [unreachable] = registry.withoutToken();
    if (unreachable !== undefined) {
      const position = `agents[${registry.list().indexOf(unreachable)}]`;
      throw new MissingAgentCredentialError(where, unreachable.name, position);
    }
  }
  return { registry, resolveAgent };
}
