import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGENTSUDO_MODULE_OPTIONS, type AgentSudoModuleOptions } from './module-options';
import { AgentRegistry } from './registry';
import { createSessionMiddleware, type NodeMiddleware } from './request-session';

/**
 * Admits each request carrying a known agent's credential and runs the rest of it (guards, interceptors, pipes,
 * the handler and everything they await) inside that agent's session. A middleware is
 * used rather than a guard because guards run inside Nest's promise chain, where a
 * session entered with `enterWith` does not reliably reach the handler; the middleware
 * wraps the whole downstream call instead. `AgentSudoModule` applies it to every route.
 *
 * @example
 * ```ts
 * // Applied for you; by hand it would be:
 * consumer.apply(AgentSudoMiddleware).forRoutes('*');
 * ```
 */
@Injectable()
export class AgentSudoMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly handle: NodeMiddleware;

  constructor(registry: AgentRegistry, @Inject(AGENTSUDO_MODULE_OPTIONS) options: AgentSudoModuleOptions) {
    // A request without an agent goes on without a session: the guard, which knows the
    // route and its decorators, answers it (401 through Nest's exception layer).
    this.handle = createSessionMiddleware(registry, options.resolveAgent, { unrecognised: 'pass' });
  }

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    this.handle(req, res, next);
  }
}
