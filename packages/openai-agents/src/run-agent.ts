import { Agent, ConfigurationError } from '@agentsudo/core';
import type { RunContextLike } from './sdk-shapes';

/**
 * Who runs the tools: one agent, or a function of the run's context (the value given to
 * `run(agent, input, { context })`) that names the agent per run. Undefined or null means
 * nobody, and every call is refused.
 *
 * @example
 * ```ts
 * const perUser: RunAgent<{ plan: 'free' | 'pro' }> = (context) => (context.plan === 'pro' ? proBot : freeBot);
 * ```
 */
export type RunAgent<TContext = any> =
  Agent | ((context: TContext) => Agent | undefined | null | Promise<Agent | undefined | null>);

/**
 * The agent of one run, or why there is none (`error` when the resolver failed).
 *
 * @example
 * ```ts
 * const found = await agentOf(runContext);
 * if (found.agent === undefined) console.error(found.error);
 * ```
 */
export type FoundAgent = { agent: Agent } | { agent: undefined; error?: unknown };

/**
 * Checks the agent option now and returns the lookup used on each call.
 *
 * @example
 * ```ts
 * const agentOf = runAgentLookup(supportBot, 'guardTools');
 * ```
 */
export function runAgentLookup(
  source: RunAgent,
  where: string,
): (runContext: RunContextLike | undefined) => FoundAgent | Promise<FoundAgent> {
  if (source instanceof Agent) {
    const fixed: FoundAgent = { agent: source };
    return () => fixed;
  }
  if (typeof source !== 'function') {
    throw new ConfigurationError(
      `${where}: agent must be an Agent from @agentsudo/core or a function (context) => Agent, got ${
        source === null ? 'null' : typeof source
      }.`,
    );
  }
  return async (runContext) => {
    try {
      const found = await source(runContext?.context);
      if (found instanceof Agent) return { agent: found };
      if (found === undefined || found === null) return { agent: undefined };
      return {
        agent: undefined,
        error: new ConfigurationError(
          `${where}: the agent function must return an Agent from @agentsudo/core, undefined or null, got ${typeof found}.`,
        ),
      };
    } catch (error) {
      return { agent: undefined, error };
    }
  };
}
