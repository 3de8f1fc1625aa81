import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { AgentSudoMiddleware } from './agent-sudo.middleware';
import { agentRegistryFor } from './agent-registry.provider';
import { ExcludedRoutes } from './excluded-routes';
import {
  AGENTSUDO_MODULE_OPTIONS,
  type AgentSudoModuleExtras,
  type AgentSudoModuleOptions,
} from './module-options';
import { PermissionErrorInterceptor } from './permission-error.interceptor';
import { PermissionErrorMapper } from './permission-error.mapper';
import { AgentRegistry } from './registry';
import { ScopeGuard } from './scope.guard';
import { SudoDispatcher } from './sudo-dispatcher';

/** What every AgentSudoModule provides, whatever its options. */
const providers: Provider[] = [
  {
    provide: AgentRegistry,
    inject: [AGENTSUDO_MODULE_OPTIONS],
    useFactory: (options: AgentSudoModuleOptions) => agentRegistryFor(options),
  },
  SudoDispatcher,
  {
    provide: ExcludedRoutes,
    inject: [AGENTSUDO_MODULE_OPTIONS],
    useFactory: (options: AgentSudoModuleOptions) => new ExcludedRoutes(options.exclude ?? []),
  },
  AgentSudoMiddleware,
  PermissionErrorMapper,
  ScopeGuard,
  PermissionErrorInterceptor,
];

/** What `global: true` (the default) installs for the whole app. */
const appWide: Provider[] = [
  { provide: APP_GUARD, useClass: ScopeGuard },
  { provide: APP_INTERCEPTOR, useClass: PermissionErrorInterceptor },
];

/**
 * `AgentSudoModule`'s base class, made by Nest's `ConfigurableModuleBuilder`: `forRoot`,
 * `forRootAsync` (`useFactory`, `useClass`, `useExisting`, `inject`, `imports`), and the
 * extras `isGlobal` and `global`.
 *
 * @example
 * ```ts
 * export class AgentSudoModule extends ConfigurableAgentSudoModule {}
 * ```
 */
export const {
  ConfigurableModuleClass: ConfigurableAgentSudoModule,
  OPTIONS_TYPE: AGENTSUDO_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AGENTSUDO_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AgentSudoModuleOptions>({ optionsInjectionToken: AGENTSUDO_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createAgentSudoOptions')
  .setExtras<Required<AgentSudoModuleExtras>>({ isGlobal: true, global: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    imports: [DiscoveryModule, ...(definition.imports ?? [])],
    providers: [...(definition.providers ?? []), ...providers, ...(extras.global ? appWide : [])],
    exports: [
      AGENTSUDO_MODULE_OPTIONS,
      AgentRegistry,
      SudoDispatcher,
      PermissionErrorMapper,
      ExcludedRoutes,
      ScopeGuard,
      PermissionErrorInterceptor,
    ],
  }))
  .build();
