import {
  Inject,
  Logger,
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { AgentSudoMiddleware } from './agent-sudo.middleware';
import { ExcludedRoutes } from './excluded-routes';
import {
  AGENTSUDO_ASYNC_OPTIONS_TYPE,
  AGENTSUDO_OPTIONS_TYPE,
  ConfigurableAgentSudoModule,
} from './module-definition';
import { AGENTSUDO_MODULE_OPTIONS, assertModuleOptions, type AgentSudoModuleOptions } from './module-options';
import { auditNoSessionCalls } from './refusal-events';
import { REQUIRE_SCOPE_METADATA_KEY } from './require-scope.decorator';
import { SudoDispatcher } from './sudo-dispatcher';

/**
 * Options of `AgentSudoModule.forRoot`: the module options plus the extras `isGlobal` and
 * `global`.
 *
 * @example
 * ```ts
 * const options: AgentSudoForRootOptions = { agents, isGlobal: true };
 * ```
 */
export type AgentSudoForRootOptions = typeof AGENTSUDO_OPTIONS_TYPE;

/**
 * Options of `AgentSudoModule.forRootAsync`: `useFactory` (with `inject` and `imports`),
 * `useClass` or `useExisting` (an {@link AgentSudoOptionsFactory}), plus the extras.
 *
 * @example
 * ```ts
 * const options: AgentSudoModuleAsyncOptions = { useClass: AgentSudoConfig };
 * ```
 */
export type AgentSudoModuleAsyncOptions = typeof AGENTSUDO_ASYNC_OPTIONS_TYPE;

/**
 * AgentSudo for NestJS: admits every request as a registered agent (bearer token, or
 * your `resolveAgent`), runs it inside that agent's session so `@Sudo` methods of any
 * service (singleton, request-scoped or transient) check the right agent, enforces
 * `@RequireScope`, and turns `PermissionError`s into Nest's `ForbiddenException` (403) and
 * requests without an agent into `UnauthorizedException` (401). Global unless
 * `isGlobal: false`: import it once. `AgentRegistry` and `SudoDispatcher` are injectable.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [AgentSudoModule.forRoot({ agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN }] })],
 *   controllers: [CustomersController],
 *   providers: [CustomerService],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class AgentSudoModule
  extends ConfigurableAgentSudoModule
  implements NestModule, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private stopAuditingNoSessionCalls: (() => void) | undefined;

  constructor(
    @Inject(AGENTSUDO_MODULE_OPTIONS) private readonly options: AgentSudoModuleOptions,
    private readonly excluded: ExcludedRoutes,
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly dispatcher: SudoDispatcher,
  ) {
    super();
  }

  /**
   * Adds the transports of the options beside those already configured (by another app,
   * or by `configure()`): core's transport set is one per process. Starts recording
   * `@Sudo` calls made with no session, unless `auditRefusals: false`.
   */
  onModuleInit(): void {
    if (this.options.auditRefusals !== false) this.stopAuditingNoSessionCalls = auditNoSessionCalls();
    for (const transport of this.options.transports ?? []) {
      if (!this.dispatcher.transports().includes(transport)) this.dispatcher.addTransport(transport);
    }
  }

  /**
   * Registers the module with fixed options, checked at once.
   *
   * @example
   * ```ts
   * AgentSudoModule.forRoot({ agents: [{ agent: supportBot, token }], exclude: ['health'] });
   * ```
   */
  static forRoot(options: AgentSudoForRootOptions = {}): DynamicModule {
    assertModuleOptions(options, 'AgentSudoModule.forRoot(options)');
    return super.forRoot(options);
  }

  /**
   * Registers the module with options made later: by a factory (which may be async and
   * inject providers of `imports`), or by a class implementing `createAgentSudoOptions()`
   * (`useClass`, or `useExisting` for one already provided).
   *
   * @example
   * ```ts
   * AgentSudoModule.forRootAsync({
   *   imports: [SecretsModule],
   *   inject: [SecretsService],
   *   useFactory: async (secrets: SecretsService) => ({
   *     agents: [{ agent: supportBot, tokenSha256: await secrets.get('support-bot-token-sha256') }],
   *   }),
   * });
   * ```
   */
  static forRootAsync(options: AgentSudoModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }

  /**
   * Applies the session middleware to every route. `exclude` is not handed to Nest's
   * middleware consumer, which misses versioned paths (`/v1/status` for `status`): the
   * guard applies it per handler instead.
   */
  configure(consumer: MiddlewareConsumer): void {
    // Nest 11's wildcard syntax: '*' still works, but draws a conversion warning under a
    // global prefix.
    consumer.apply(AgentSudoMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  /** Warns about excluded routes that carry `@RequireScope`: they would deny every call. */
  onApplicationBootstrap(): void {
    const scanner = new MetadataScanner();
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Function | null;
      if (!controller || !wrapper.instance) continue;
      for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(wrapper.instance))) {
        const handler = controller.prototype[name] as Function;
        const scopes = this.reflector.getAllAndMerge<string[]>(REQUIRE_SCOPE_METADATA_KEY, [
          handler,
          controller,
        ]);
        if (scopes.length === 0 || !this.excluded.covers(controller, handler)) continue;
        new Logger('AgentSudoModule').warn(
          `exclude leaves out ${controller.name}.${name}, which carries @RequireScope(${scopes
            .map((s) => `'${s}'`)
            .join(', ')}): it runs without an agent, so that check denies every call. Remove the ` +
            'route from exclude, or mark it @Public() and drop @RequireScope if it is meant to be open.',
        );
      }
    }
  }

  /**
   * Removes, flushes and closes the transports this app added, and no others; without
   * transports of its own, flushes what the process's transports hold.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopAuditingNoSessionCalls?.();
    const own = this.options.transports ?? [];
    if (own.length === 0) await this.dispatcher.flush();
    else await Promise.all(own.map((transport) => this.dispatcher.closeTransport(transport)));
  }
}
