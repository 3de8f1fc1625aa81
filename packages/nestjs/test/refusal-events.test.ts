import { Injectable, type INestApplication, type OnModuleInit } from '@nestjs/common';
import request from 'supertest';
import { Agent, configure, Sudo } from '@agentsudo/core';
import {
  AgentRegistry,
  AgentSudoModule,
  generateAgentToken,
  NO_SESSION_AGENT_NAME,
  UNAUTHENTICATED_AGENT_NAME,
  type AgentSudoModuleOptions,
} from '../src';
import { supportDeskControllers, supportDeskProviders } from './fixtures/support-desk';
import { PLATFORMS, startApp, type Platform } from './nest-app';
import { captureEvents, MemoryTransport, supportDeskAgents } from './support';

/** Warms a cache at startup, before any request: a protected call with no session. */
@Injectable()
class CacheWarmer implements OnModuleInit {
  refused = false;

  @Sudo('read:customers')
  load() {
    return [];
  }

  onModuleInit() {
    try {
      this.load();
    } catch {
      this.refused = true;
    }
  }
}

const desk = supportDeskAgents();

function start(platform: Platform, options: Partial<AgentSudoModuleOptions> = {}) {
  return startApp(platform, {
    imports: [
      AgentSudoModule.forRoot({ agents: desk.registrations, exclude: ['public/{*rest}'], ...options }),
    ],
    controllers: supportDeskControllers,
    providers: [...supportDeskProviders, CacheWarmer],
  });
}

describe.each(PLATFORMS)('refusals before a session are events, on the %s platform', (platform) => {
  afterEach(() => configure({ transports: [] }));

  describe('by default', () => {
    let app: INestApplication;
    const events = new MemoryTransport();
    beforeAll(async () => {
      app = await start(platform);
    });
    afterAll(() => app.close());
    beforeEach(() => {
      events.events.length = 0;
      configure({ transports: [events] });
    });

    it('records a request refused 401 with the method, the route pattern and the request id', async () => {
      await request(app.getHttpServer()).get('/customers/c-1').set('X-Request-Id', 'r-7');
      await request(app.getHttpServer()).get('/customers/c-2').auth(generateAgentToken(), { type: 'bearer' });

      expect(events.events).toEqual([
        expect.objectContaining({
          agentName: UNAUTHENTICATED_AGENT_NAME,
          action: 'permission_check',
          allowed: false,
          functionName: 'CustomersController.get',
          metadata: { method: 'GET', route: '/customers/:id', requestId: 'r-7', reason: 'missing_token' },
        }),
        expect.objectContaining({
          agentName: UNAUTHENTICATED_AGENT_NAME,
          metadata: expect.objectContaining({ route: '/customers/:id', reason: 'unknown_token' }),
        }),
      ]);
    });

    it('records a @Sudo call with no session on a route that runs without an agent', async () => {
      const res = await request(app.getHttpServer()).get('/public/customers/c-3').set('X-Request-Id', 'r-8');

      expect(res.status).toBe(403);
      expect(events.events).toEqual([
        expect.objectContaining({
          agentName: NO_SESSION_AGENT_NAME,
          action: 'permission_check',
          allowed: false,
          scope: 'read:customers',
          functionName: 'CustomerService.getCustomer',
          metadata: { method: 'GET', route: '/public/customers/:id', requestId: 'r-8', reason: 'no_session' },
        }),
      ]);
    });

    it('records a @Sudo call with no session outside any request, such as a timer', async () => {
      const warmer = app.get(CacheWarmer);

      await new Promise<void>((resolve) =>
        setTimeout(() => {
          expect(() => warmer.load()).toThrow(/no agent session is active/);
          resolve();
        }, 1),
      );

      expect(events.events).toEqual([
        expect.objectContaining({
          agentName: NO_SESSION_AGENT_NAME,
          scope: 'read:customers',
          functionName: 'CacheWarmer.load',
          metadata: { reason: 'no_session' },
        }),
      ]);
    });
  });

  it('records the @Sudo call an onModuleInit hook makes with no session', async () => {
    const events = captureEvents();
    const app = await start(platform);
    await app.close();

    expect(app.get(CacheWarmer).refused).toBe(true);
    expect(events.events).toContainEqual(
      expect.objectContaining({ agentName: NO_SESSION_AGENT_NAME, functionName: 'CacheWarmer.load' }),
    );
  });

  it('records neither with auditRefusals: false', async () => {
    const events = captureEvents();
    const app = await start(platform, { auditRefusals: false });
    try {
      await request(app.getHttpServer()).get('/customers/c-1');
      await request(app.getHttpServer()).get('/public/customers/c-1');
    } finally {
      await app.close();
    }

    expect(events.events.filter((e) => e.agentName.startsWith('<'))).toEqual([]);
  });
});

describe('refusal agent names', () => {
  it('cannot be taken by a real agent', () => {
    const registry = new AgentRegistry();

    expect(() =>
      registry.register({
        agent: new Agent({ name: UNAUTHENTICATED_AGENT_NAME, scopes: [] }),
        token: generateAgentToken(),
      }),
    ).toThrow(/the agent name '<unauthenticated>' is reserved/);
  });
});
