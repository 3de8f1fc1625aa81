import {
  Global,
  Inject,
  Logger,
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import {
  APP_GUARD,
  APP_INTERCEPTOR,
  DiscoveryModule,
  DiscoveryService,
  MetadataScanner,
  Reflector,
} from '@nestjs/core';
import { ExcludedRoutes } from './excluded-routes';
import { REQUIRE_SCOPE_METADATA_KEY } from './require-scope.decorator';
import { AgentSudoMiddleware } from './agent-sudo.middleware';
import { readAgentSource } from './middleware-options';
import {
  AGENTSUDO_OPTIONS,
  assertModuleOptions,
  type AgentSudoModuleAsyncOptions,
  type AgentSudoModuleOptions,
} from './module-options';
import { PermissionErrorInterceptor } from './permission-error.interceptor';
import { PermissionErrorMapper } from './permission-error.mapper';
import { AgentRegistry } from './registry';
import { ScopeGuard } from './scope.guard';
import { SudoDispatcher } from './sudo-dispatcher';

/**
 * AgentSudo for NestJS: admits every request as a registered agent (bearer token, or
 * your `resolveAgent`), runs it inside that agent's session so `@Sudo` methods of any
 * service (singleton, request-scoped or transient) check the right agent, enforces
 * `@RequireScope`, and turns `PermissionError`s into Nest's `ForbiddenException` (403) and
 * requests without an agent into `UnauthorizedException` (401). Global: import it once.
 * `AgentRegistry` and `SudoDispatcher` are injectable everywhere.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [AgentSudoModule.forRoot({ agents: [{ agent: supportBot, token: process.env.SUPPORT_BOT_TOKEN! }] })],
 *   controllers: [CustomersController],
 *   providers: [CustomerService],
 * })
 * export class AppModule {}
 * ```
 */
@Global()
@Module({})
export class AgentSudoModule implements NestModule, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(AGENTSUDO_OPTIONS) private readonly options: AgentSudoModuleOptions,
    private readonly excluded: ExcludedRoutes,
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  /**
   * Registers the module with fixed options.
   *
   * @example
   * ```ts
   * AgentSudoModule.forRoot({ agents: [{ agent: supportBot, token }], exclude: ['health'] });
   * ```
   */
  static forRoot(options: AgentSudoModuleOptions = {}): DynamicModule {
    assertModuleOptions(options, 'AgentSudoModule.forRoot(options)');
    return AgentSudoModule.build([{ provide: AGENTSUDO_OPTIONS, useValue: options }], [], options.global);
  }

  /**
   * Registers the module with options made by a factory (from configuration, a secret
   * store…), which may be async and inject providers of `imports`.
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
    if (typeof options?.useFactory !== 'function') {
      assertModuleOptions(undefined, 'AgentSudoModule.forRootAsync({ useFactory })');
    }
    const optionsProvider: Provider = {
      provide: AGENTSUDO_OPTIONS,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => {
        const resolved = await options.useFactory(...args);
        assertModuleOptions(resolved, 'AgentSudoModule.forRootAsync: the options useFactory returned');
        return resolved;
      },
    };
    return AgentSudoModule.build([optionsProvider], options.imports ?? [], options.global);
  }

  private static build(
    optionsProviders: Provider[],
    imports: NonNullable<AgentSudoModuleAsyncOptions['imports']>,
    global = true,
  ): DynamicModule {
    const appWide: Provider[] = global
      ? [
          { provide: APP_GUARD, useClass: ScopeGuard },
          { provide: APP_INTERCEPTOR, useClass: PermissionErrorInterceptor },
        ]
      : [];
    return {
      module: AgentSudoModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...optionsProviders,
        {
          provide: AgentRegistry,
          inject: [AGENTSUDO_OPTIONS],
          useFactory: (options: AgentSudoModuleOptions) => agentRegistryFor(options),
        },
        {
          provide: SudoDispatcher,
          inject: [AGENTSUDO_OPTIONS],
          useFactory: (options: AgentSudoModuleOptions) => {
            const dispatcher = new SudoDispatcher();
            if (options.transports !== undefined) dispatcher.setTransports(options.transports);
            return dispatcher;
          },
        },
        AgentSudoMiddleware,
        PermissionErrorMapper,
        {
          provide: ExcludedRoutes,
          inject: [AGENTSUDO_OPTIONS],
          useFactory: (options: AgentSudoModuleOptions) => new ExcludedRoutes(options.exclude ?? []),
        },
        ScopeGuard,
        PermissionErrorInterceptor,
        ...appWide,
      ],
      exports: [
        AGENTSUDO_OPTIONS,
        AgentRegistry,
        SudoDispatcher,
        PermissionErrorMapper,
        {
          provide: ExcludedRoutes,
          inject: [AGENTSUDO_OPTIONS],
          useFactory: (options: AgentSudoModuleOptions) => new ExcludedRoutes(options.exclude ?? []),
        },
        ScopeGuard,
        PermissionErrorInterceptor,
      ],
    };
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

  /** Delivers what the transports still hold; closes them when the module configured them. */
  async onApplicationShutdown(): Promise<void> {
    if (this.options.transports !== undefined) await new SudoDispatcher().shutdown();
    else await new SudoDispatcher().flush();
  }
}

/**
 * The module's registry. An agent without a token fails the start (see
 * `MissingAgentCredentialError`); no agents at all is allowed (a registry filled at
 * runtime) but said out loud, since until then every request is refused.
 */
function agentRegistryFor(options: AgentSudoModuleOptions): AgentRegistry {
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
