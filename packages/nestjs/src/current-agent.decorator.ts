import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { currentAgent } from '@agentsudo/core';
import { agentOf } from './request-session';

/**
 * Injects the agent the request runs as (an `Agent` from @agentsudo/core) into a
 * handler parameter; `null` on a route that runs without one (`@Public()`,
 * `@OptionalAgent()` without a token, `exclude`).
 *
 * @example
 * ```ts
 * @Get('me')
 * whoAmI(@CurrentAgent() agent: Agent) {
 *   return { name: agent.name, scopes: agent.scopes };
 * }
 * ```
 */
export const CurrentAgent = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  if (context.getType() === 'http') {
    const fromRequest = agentOf(context.switchToHttp().getRequest<object>());
    if (fromRequest) return fromRequest;
  }
  return currentAgent() ?? null;
});
