/**
 * @agentsudo/nestjs: AgentSudo for NestJS and Express. Requests are admitted as
 * registered agents (hashed bearer tokens, constant-time comparison), run inside the
 * agent's session, checked with `@RequireScope` / `requireScope()`, and every
 * `PermissionError` becomes a 403. Express-only code can import
 * `@agentsudo/nestjs/express`, which loads no NestJS module.
 *
 * @example
 * ```ts
 * import { AgentSudoModule, RequireScope, CurrentAgent } from '@agentsudo/nestjs';
 * ```
 */
export * from './express';
export {
  AGENTSUDO_OPTIONS,
  type AgentSudoModuleOptions,
  type AgentSudoModuleAsyncOptions,
  type ExcludedRoute,
} from './module-options';
export { AgentSudoModule } from './agent-sudo.module';
export { AgentSudoMiddleware } from './agent-sudo.middleware';
export { RequireScope, REQUIRE_SCOPE_METADATA_KEY } from './require-scope.decorator';
export { CurrentAgent } from './current-agent.decorator';
export {
  Public,
  SkipAgent,
  OptionalAgent,
  AGENT_REQUIREMENT_METADATA_KEY,
  type AgentRequirement,
} from './agent-requirement.decorator';
export { ExcludedRoutes } from './excluded-routes';
export { ScopeGuard } from './scope.guard';
export { PermissionErrorFilter } from './permission-error.filter';
export { PermissionErrorInterceptor } from './permission-error.interceptor';
export { PermissionErrorMapper } from './permission-error.mapper';
export {
  AgentForbiddenException,
  AgentUnauthorizedException,
  denialReason,
  type DenialReason,
  type ForbiddenResponse,
  type UnauthorizedResponse,
} from './http-exceptions';
export { SudoDispatcher } from './sudo-dispatcher';
