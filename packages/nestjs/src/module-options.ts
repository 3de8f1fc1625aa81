import type { RequestMethod } from '@nestjs/common';
import { ConfigurationError, type Transport } from '@agentsudo/core';
import type { AgentSource } from './middleware-options';

/**
 * Injection token of the resolved {@link AgentSudoModuleOptions}, named as Nest's own
 * modules name theirs (`THROTTLER_OPTIONS`, `CACHE_MODULE_OPTIONS`).
 *
 * @example
 * ```ts
 * constructor(@Inject(AGENTSUDO_MODULE_OPTIONS) private readonly options: AgentSudoModuleOptions) {}
 * ```
 */
export const AGENTSUDO_MODULE_OPTIONS = 'AGENTSUDO_MODULE_OPTIONS';

/**
 * A route left out of agent admission, as `MiddlewareConsumer.exclude` takes it.
 *
 * @example
 * ```ts
 * const health: ExcludedRoute = { path: 'health', method: RequestMethod.GET };
 * ```
 */
export type ExcludedRoute = string | { path: string; method: RequestMethod; version?: string | string[] };

/**
 * Options of `AgentSudoModule.forRoot`.
 *
 * @example
 * ```ts
 * AgentSudoModule.forRoot({
 *   agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN! }],
 *   transports: [new ConsoleTransport()],
 *   exclude: ['health'],
 * });
 * ```
 */
export interface AgentSudoModuleOptions extends AgentSource {
  /**
   * Transports of this app: added beside any others when the app starts, and removed,
   * flushed and closed when it closes, leaving everyone else's.
   */
  transports?: readonly Transport[];
  /** Routes that need no agent (health checks, docs), as for `MiddlewareConsumer.exclude`. */
  exclude?: readonly ExcludedRoute[];
  /**
   * Shows clients the whole denial: core's full message (the agent's other scopes, the
   * denying function's name), `functionName` and `grantedScopes`. Off by default: the
   * client reads the missing scope and the reason; the rest is in the audit event and the
   * server log.
   */
  exposeDetails?: boolean;
  /**
   * Records refusals that happen before any session as events: a request refused with
   * 401 (agent `<unauthenticated>`) and a `@Sudo` call made with no session at all (agent
   * `<no session>`), with the HTTP method, route pattern and request id in the metadata.
   * Default `true`; `false` records neither.
   */
  auditRefusals?: boolean;
}

/**
 * Module-level settings of `forRoot` and `forRootAsync`, decided before any options
 * factory runs (they shape the module itself).
 *
 * @example
 * ```ts
 * AgentSudoModule.forRootAsync({ useClass: AgentSudoConfig, isGlobal: true, global: false });
 * ```
 */
export interface AgentSudoModuleExtras {
  /** Registers the module as global, so every module can inject its providers. Default `true`. */
  isGlobal?: boolean;
  /**
   * `false` installs nothing app-wide: no `APP_GUARD`, no `APP_INTERCEPTOR`. For apps that
   * apply `ScopeGuard` and `PermissionErrorInterceptor` themselves (`@UseGuards`,
   * `@UseInterceptors`). The session middleware is applied either way. Default `true`.
   */
  global?: boolean;
}

/**
 * A class that makes the module's options, for `forRootAsync({ useClass })` or
 * `forRootAsync({ useExisting })`.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class AgentSudoConfig implements AgentSudoOptionsFactory {
 *   constructor(private readonly secrets: SecretsService) {}
 *   async createAgentSudoOptions() {
 *     return { agents: [{ agent: supportBot, tokenSha256: await this.secrets.get('support-bot') }] };
 *   }
 * }
 * ```
 */
export interface AgentSudoOptionsFactory {
  createAgentSudoOptions(): AgentSudoModuleOptions | Promise<AgentSudoModuleOptions>;
}

/**
 * Checks the parts of the options the session middleware does not check itself.
 *
 * @example
 * ```ts
 * assertModuleOptions(options, 'AgentSudoModule.forRoot');
 * ```
 */
export function assertModuleOptions(
  options: unknown,
  where: string,
): asserts options is AgentSudoModuleOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError(`${where}: options must be an object like { agents: [{ agent, token }] }.`);
  }
  const { transports, exclude, exposeDetails } = options as AgentSudoModuleOptions;
  if (exposeDetails !== undefined && typeof exposeDetails !== 'boolean') {
    throw new ConfigurationError(
      `${where}: exposeDetails must be true or false, got ${typeof exposeDetails}.`,
    );
  }
  if (transports !== undefined && !Array.isArray(transports)) {
    throw new ConfigurationError(
      `${where}: transports must be an array of transports, got ${typeof transports}.`,
    );
  }
  if (exclude !== undefined && !Array.isArray(exclude)) {
    throw new ConfigurationError(
      `${where}: exclude must be an array of routes like ['health', { path: 'docs', method: RequestMethod.GET }].`,
    );
  }
}
