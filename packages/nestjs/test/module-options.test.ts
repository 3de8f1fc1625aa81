import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { configure } from '@agentsudo/core';
import * as nest from '../src';
import {
  AGENTSUDO_MODULE_OPTIONS,
  AgentRegistry,
  AgentSudoModule,
  hashAgentToken,
  type AgentSudoModuleOptions,
  type AgentSudoOptionsFactory,
} from '../src';
import { supportDeskControllers, supportDeskProviders } from './fixtures/support-desk';
import { PLATFORMS, startApp } from './nest-app';
import { captureEvents, supportDeskAgents } from './support';

const desk = supportDeskAgents();

/** Stands in for a secret store: it holds token digests only. */
@Injectable()
class SecretsService {
  digestOf(name: string): string {
    return hashAgentToken(name === 'SupportBot' ? desk.readerToken : desk.refunderToken);
  }
}

@Module({ providers: [SecretsService], exports: [SecretsService] })
class SecretsModule {}

/** Options made by a class, as for @nestjs/throttler's `useClass`. */
@Injectable()
class AgentSudoConfig implements AgentSudoOptionsFactory {
  constructor(private readonly secrets: SecretsService) {}
  createAgentSudoOptions(): AgentSudoModuleOptions {
    return {
      agents: [
        { agent: desk.reader, tokenSha256: this.secrets.digestOf('SupportBot') },
        { agent: desk.refunder, tokenSha256: this.secrets.digestOf('RefundBot') },
      ],
    };
  }
}

@Module({ imports: [SecretsModule], providers: [AgentSudoConfig], exports: [AgentSudoConfig] })
class ConfigModule {}

describe.each(PLATFORMS)('module options the Nest way, on the %s platform', (platform) => {
  beforeEach(() => captureEvents());
  afterEach(() => configure({ transports: [] }));

  it.each([
    ['useClass', () => AgentSudoModule.forRootAsync({ imports: [SecretsModule], useClass: AgentSudoConfig })],
    [
      'useExisting',
      () => AgentSudoModule.forRootAsync({ imports: [ConfigModule], useExisting: AgentSudoConfig }),
    ],
    [
      'useFactory with inject',
      () =>
        AgentSudoModule.forRootAsync({
          imports: [SecretsModule],
          inject: [SecretsService],
          useFactory: (secrets: SecretsService) => ({
            agents: [{ agent: desk.reader, tokenSha256: secrets.digestOf('SupportBot') }],
          }),
        }),
    ],
  ])('forRootAsync with %s admits the configured agents', async (_kind, module) => {
    const app = await startApp(platform, {
      imports: [module()],
      controllers: supportDeskControllers,
      providers: supportDeskProviders,
    });
    try {
      const me = await request(app.getHttpServer()).get('/me').auth(desk.readerToken, { type: 'bearer' });
      const anonymous = await request(app.getHttpServer()).get('/me');

      expect(me.body.name).toBe('SupportBot');
      expect(anonymous.status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('provides the options under AGENTSUDO_MODULE_OPTIONS, without the module-level extras', async () => {
    @Injectable()
    class Reader {
      constructor(@Inject(AGENTSUDO_MODULE_OPTIONS) readonly options: AgentSudoModuleOptions) {}
    }
    const app = await startApp(platform, {
      imports: [AgentSudoModule.forRoot({ agents: desk.registrations, exposeDetails: true, isGlobal: true })],
      providers: [Reader],
    });
    try {
      expect(AGENTSUDO_MODULE_OPTIONS).toBe('AGENTSUDO_MODULE_OPTIONS');
      expect(app.get(Reader).options).toEqual({ agents: desk.registrations, exposeDetails: true });
    } finally {
      await app.close();
    }
  });
});

describe('isGlobal', () => {
  @Controller('feature')
  class FeatureController {
    constructor(readonly registry: AgentRegistry) {}
    @Get()
    get() {
      return this.registry.list().length;
    }
  }
  @Module({ controllers: [FeatureController] })
  class FeatureModule {}

  it('is true by default: a feature module injects AgentRegistry without importing the module', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AgentSudoModule.forRoot({ agents: desk.registrations }), FeatureModule],
    }).compile();

    expect(moduleRef.get(FeatureController).registry.list()).toHaveLength(2);
    await moduleRef.close();
  });

  it('false keeps the providers to the modules that import it', async () => {
    const build = Test.createTestingModule({
      imports: [AgentSudoModule.forRoot({ agents: desk.registrations, isGlobal: false }), FeatureModule],
    }).compile();

    await expect(build).rejects.toThrow(/can't resolve dependencies of the FeatureController/);
  });
});

describe('@agentsudo/nestjs exports', () => {
  it('only Nest things: the Express and node:http API lives at @agentsudo/nestjs/express', async () => {
    const express = await import('../src/express');

    for (const name of ['requireScope', 'agentSudoMiddleware', 'permissionErrorHandler', 'sendJson']) {
      expect(nest).not.toHaveProperty(name);
      expect(express).toHaveProperty(name);
    }
    expect(nest).toHaveProperty('RequireScope');
    expect(nest).toHaveProperty('AgentRegistry');
  });
});
