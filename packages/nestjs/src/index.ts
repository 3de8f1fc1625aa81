/**
 * @agentsudo/nestjs: AgentSudo for NestJS. Requests are admitted as registered agents
 * (hashed bearer tokens, constant-time comparison), run inside the agent's session,
 * checked with `@RequireScope`, and denials are Nest exceptions (401, 403). This entry
 * exports Nest things only; the Express / node:http API (`agentSudoMiddleware`,
 * `requireScope`, …) is `@agentsudo/nestjs/express`, which loads no NestJS module.
 *
 * @example
 * ```ts
 * import { AgentSudoModule, RequireScope, CurrentAgent } from '@agentsudo/nestjs';
 * ```
 */
export { AgentRegistry, type AgentRegistration } from './registry';
export { generateAgentToken, hashAgentToken } from './tokens';
export { MissingAgentCredentialError } from './errors';
export type { AgentResolver, RefusalReason } from './request-session';
export type { AgentSource } from './middleware-options';
export {
  AGENTSUDO_MODULE_OPTIONS,
  type AgentSudoModuleOptions,
  type AgentSudoModuleExtras,
  type AgentSudoOptionsFactory,
  type ExcludedRoute,
} from './module-options';
export {
  AgentSudoModule,
  type AgentSudoForRootOptions,
  type AgentSudoModuleAsyncOptions,
} from './agent-sudo.module';
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
  AgentTooManyRequestsException,
  AgentUnauthorizedException,
  denialException,
  type ForbiddenResponse,
  type TooManyRequestsResponse,
  type UnauthorizedResponse,
} from './http-exceptions';
export { denialReason, denialStatus, type DenialReason } from './denials';
export { SudoDispatcher } from './sudo-dispatcher';
export { UNAUTHENTICATED_AGENT_NAME, NO_SESSION_AGENT_NAME, type RequestOrigin } from './refusal-events';
