import { Controller, Get, Param, UseGuards, UseInterceptors, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { configure } from '@agentsudo/core';
import { AgentSudoModule, PermissionErrorInterceptor, RequireScope, ScopeGuard } from '../src';
import { CustomerService } from './fixtures/support-desk';
import { PLATFORMS, startApp } from './nest-app';
import { captureEvents, supportDeskAgents, type MemoryTransport } from './support';

/** What a Passport user writes out of habit: the guard applied by hand, on top of the global one. */
@Controller('guarded')
@UseGuards(ScopeGuard)
@UseInterceptors(PermissionErrorInterceptor)
@RequireScope('read:customers')
class GuardedByHandController {
  constructor(private readonly customers: CustomerService) {}

  @Get('customers/:id')
  get(@Param('id') id: string) {
    return this.customers.getCustomer(id);
  }

  @Get('refunds')
  @UseGuards(ScopeGuard)
  @RequireScope('write:refunds')
  refunds() {
    return [];
  }
}

@Controller('open')
class UnguardedController {
  @Get()
  open() {
    return { open: true };
  }
}

const desk = supportDeskAgents();

describe.each(PLATFORMS)('ScopeGuard applied by hand, on the %s platform', (platform) => {
  let events: MemoryTransport;
  beforeEach(() => {
    events = captureEvents();
  });
  afterEach(() => configure({ transports: [] }));

  describe('on top of the module’s global guard', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startApp(platform, {
        imports: [AgentSudoModule.forRoot({ agents: desk.registrations })],
        controllers: [GuardedByHandController],
        providers: [CustomerService],
      });
    });
    afterAll(() => app.close());

    it('checks an allowed request once: one event per scope', async () => {
      const res = await request(app.getHttpServer())
        .get('/guarded/customers/c-1')
        .auth(desk.readerToken, { type: 'bearer' });

      expect(res.status).toBe(200);
      expect(events.checks()).toEqual([
        'SupportBot allowed read:customers in GuardedByHandController.get',
        'SupportBot allowed read:customers in CustomerService.getCustomer',
      ]);
    });

    it('denies once, even with the guard on the class and the handler too', async () => {
      const res = await request(app.getHttpServer())
        .get('/guarded/refunds')
        .auth(desk.readerToken, { type: 'bearer' });

      expect(res.status).toBe(403);
      expect(events.checks()).toEqual(['SupportBot denied write:refunds in GuardedByHandController.refunds']);
    });
  });

  describe('with global: false', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startApp(platform, {
        imports: [AgentSudoModule.forRoot({ agents: desk.registrations, global: false })],
        controllers: [GuardedByHandController, UnguardedController],
        providers: [CustomerService],
      });
    });
    afterAll(() => app.close());

    it('guards what the app guards: 401 without a token, 403 for a missing scope, once', async () => {
      const anonymous = await request(app.getHttpServer()).get('/guarded/customers/c-1');
      const denied = await request(app.getHttpServer())
        .get('/guarded/refunds')
        .auth(desk.readerToken, { type: 'bearer' });

      expect(anonymous.status).toBe(401);
      expect(denied.status).toBe(403);
      expect(events.checks()).toEqual([
        '<unauthenticated> denied (no scope) in GuardedByHandController.get',
        'SupportBot denied write:refunds in GuardedByHandController.refunds',
      ]);
    });

    it('installs nothing app-wide: a controller the app left unguarded needs no agent', async () => {
      const res = await request(app.getHttpServer()).get('/open');

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ open: true });
    });
  });
});
