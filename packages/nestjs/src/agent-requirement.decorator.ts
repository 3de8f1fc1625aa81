import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key under which `@Public()` and `@OptionalAgent()` record what a route needs
 * of its caller; `ScopeGuard` reads it through Nest's `Reflector` (the handler's value
 * overrides the controller's).
 *
 * @example
 * ```ts
 * reflector.getAllAndOverride<AgentRequirement>(AGENT_REQUIREMENT_METADATA_KEY, [context.getHandler(), context.getClass()]);
 * ```
 */
export const AGENT_REQUIREMENT_METADATA_KEY = 'agentsudo:agent-requirement';

/**
 * What a route needs of its caller: `'none'` (`@Public()`) or `'optional'`
 * (`@OptionalAgent()`); routes without either need an agent.
 *
 * @example
 * ```ts
 * const requirement: AgentRequirement = 'optional';
 * ```
 */
export type AgentRequirement = 'none' | 'optional';

/**
 * The route (on a handler) or every route of a controller (on the class) needs no agent:
 * no 401, whatever `Authorization` header comes. A request that does carry a known
 * agent's token still runs as that agent. `@Sudo` calls made without an agent are denied
 * (403, reason `no_session`), as anywhere else.
 *
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return { ok: true }; }
 * ```
 */
export const Public = (): ClassDecorator & MethodDecorator =>
  SetMetadata(AGENT_REQUIREMENT_METADATA_KEY, 'none' satisfies AgentRequirement);

/**
 * Another name for {@link Public}, for code that reads better saying what is skipped.
 *
 * @example
 * ```ts
 * @SkipAgent()
 * @Controller('docs')
 * export class DocsController {}
 * ```
 */
export const SkipAgent = Public;

/**
 * The route runs as the agent when a known agent's token is sent, and without one when no
 * `Authorization` header is sent: `@CurrentAgent()` then gives `null`. A token that is
 * sent but malformed or unknown is still refused with 401: a wrong credential is a
 * mistake to report, not a request to serve anonymously.
 *
 * @example
 * ```ts
 * @OptionalAgent()
 * @Get('catalog')
 * catalog(@CurrentAgent() agent: Agent | null) { return agent ? this.full() : this.publicPart(); }
 * ```
 */
export const OptionalAgent = (): ClassDecorator & MethodDecorator =>
  SetMetadata(AGENT_REQUIREMENT_METADATA_KEY, 'optional' satisfies AgentRequirement);
