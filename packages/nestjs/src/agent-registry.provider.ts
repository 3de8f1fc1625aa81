import { Logger } from '@nestjs/common';
import { readAgentSource } from './middleware-options';
import { assertModuleOptions, type AgentSudoModuleOptions } from './module-options';
import type { AgentRegistry } from './registry';

/**
 * The module's registry, from options however they were made (`forRoot`, a factory, a
 * class). An agent without a token fails the start (see `MissingAgentCredentialError`); no
 * agents at all is allowed (a registry filled at runtime) but said out loud, since until
 * then every request is refused.
 *
 * @example
 * ```ts
 * { provide: AgentRegistry, inject: [AGENTSUDO_MODULE_OPTIONS], useFactory: agentRegistryFor }
 * ```
 */
export function agentRegistryFor(options: AgentSudoModuleOptions): AgentRegistry {
  assertModuleOptions(options, 'AgentSudoModule options');
  const { registry, resolveAgent } = readAgentSource(options, 'AgentSudoModule options');
  if (resolveAgent === undefined && registry.list().length === 0) {
    new Logger('AgentSudoModule').warn(
      'No agents are registered and there is no resolveAgent: every request to a route that needs an ' +
        'agent is refused with 401. Pass agents: [{ agent, token }] to AgentSudoModule.forRoot, or ' +
        'register them at runtime through the injected AgentRegistry.',
    );
  }
  return registry;
}
