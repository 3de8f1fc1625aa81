import {
  Body,
  Catch,
  Controller,
  HttpException,
  Post,
  UseFilters,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import request from 'supertest';
import { configure, PermissionError } from '@agentsudo/core';
import { AgentForbiddenException, AgentSudoModule, RequireScope, type AgentSudoModuleOptions } from '../src';
import { RefundService, supportDeskControllers, supportDeskProviders } from './fixtures/support-desk';
import { PLATFORMS, RecordingLogger, startApp, type Platform } from './nest-app';
import { captureEvents, supportDeskAgents } from './support';

/** The catch-all filter most Nest apps have: HTTP exceptions keep their status, anything else is 500. */
@Catch()
class EverythingFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(exception: unknown, host: ArgumentsHost): void {
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    const body = exception instanceof HttpException ? exception.getResponse() : 'Internal server error';
    const response = host.switchToHttp().getResponse<unknown>();
    this.adapterHost.httpAdapter.reply(response, { caughtBy: 'EverythingFilter', body }, status);
  }
}

/** An app's own answer to permission errors. */
@Catch(PermissionError)
class OwnPermissionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(error: PermissionError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<unknown>();
    this.adapterHost.httpAdapter.reply(response, { denied: error.scope, type: error.constructor.name }, 451);
  }
}

/** A controller with its own catch-all filter: Nest asks it before any global filter. */
@Controller('scoped')
@UseFilters(EverythingFilter)
class ScopedFilterController {
  constructor(private readonly refunds: RefundService) {}

  @Post('refund')
  refund(@Body() body: { orderId: string }) {
    return this.refunds.refund(body.orderId);
  }

  @Post('checked')
  @RequireScope('write:refunds')
  checked() {
    return { ok: true };
  }
}

const desk = supportDeskAgents();

function startDesk(
  platform: Platform,
  options: { appFilter?: Function; logger?: RecordingLogger; module?: Partial<AgentSudoModuleOptions> } = {},
): Promise<INestApplication> {
  return startApp(platform, {
    imports: [AgentSudoModule.forRoot({ agents: desk.registrations, ...options.module })],
    controllers: [...supportDeskControllers, ScopedFilterController],
    providers: [
      ...supportDeskProviders,
      ...(options.appFilter ? [{ provide: APP_FILTER, useClass: options.appFilter as never }] : []),
    ],
    logger: options.logger,
  });
}

describe.each(PLATFORMS)('denials as Nest exceptions, on the %s platform', (platform) => {
  afterEach(() => configure({ transports: [] }));

  describe('with the app’s catch-all filter as APP_FILTER', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startDesk(platform, { appFilter: EverythingFilter });
    });
    afterAll(() => app.close());
    beforeEach(() => captureEvents());

    it('answers a @RequireScope denial 403 with Nest’s body shape plus scope, agent and reason', async () => {
      const res = await request(app.getHttpServer())
        .post('/refunds')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-1' });

      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        caughtBy: 'EverythingFilter',
        body: {
          statusCode: 403,
          message: "Agent 'SupportBot' lacks scope 'write:refunds'.",
          error: 'Forbidden',
          scope: 'write:refunds',
          agent: 'SupportBot',
          reason: 'scope',
        },
      });
    });

    it('answers a denial deep in a service 403, not 500', async () => {
      const res = await request(app.getHttpServer())
        .post('/refunds/direct')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-2' });

      expect(res.status).toBe(403);
      expect(res.body.body).toMatchObject({ statusCode: 403, scope: 'write:refunds', reason: 'scope' });
    });

    it('sends a missing token through Nest’s exception layer as 401 with WWW-Authenticate', async () => {
      const res = await request(app.getHttpServer()).get('/customers/c-1');

      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="agentsudo"');
      expect(res.body).toEqual({
        caughtBy: 'EverythingFilter',
        body: {
          statusCode: 401,
          message: 'Missing agent token: send Authorization: Bearer <agent token>.',
          error: 'Unauthorized',
          reason: 'missing_token',
        },
      });
    });

    it('answers 403 through a catch-all filter on the controller, which Nest asks before global ones', async () => {
      const deep = await request(app.getHttpServer())
        .post('/scoped/refund')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-3' });
      const checked = await request(app.getHttpServer())
        .post('/scoped/checked')
        .auth(desk.readerToken, { type: 'bearer' });

      expect([deep.status, checked.status]).toEqual([403, 403]);
      expect(deep.body).toMatchObject({ caughtBy: 'EverythingFilter', body: { scope: 'write:refunds' } });
      expect(checked.body).toMatchObject({ caughtBy: 'EverythingFilter', body: { scope: 'write:refunds' } });
    });
  });

  describe('with the app’s own @Catch(PermissionError) as APP_FILTER', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startDesk(platform, { appFilter: OwnPermissionFilter });
    });
    afterAll(() => app.close());
    beforeEach(() => captureEvents());

    it('lets the app’s filter answer, with the original PermissionError', async () => {
      const checked = await request(app.getHttpServer())
        .post('/refunds')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-4' });
      const deep = await request(app.getHttpServer())
        .post('/refunds/direct')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-5' });

      expect(checked.status).toBe(451);
      expect(checked.body).toEqual({ denied: 'write:refunds', type: 'PermissionDeniedError' });
      expect(deep.status).toBe(451);
      expect(deep.body).toEqual({ denied: 'write:refunds', type: 'PermissionDeniedError' });
    });
  });

  describe('what the client sees', () => {
    it('by default: the missing scope and the reason, not the agent’s other scopes nor class names', async () => {
      const logger = new RecordingLogger();
      const app = await startDesk(platform, { logger });
      captureEvents();
      try {
        const res = await request(app.getHttpServer())
          .post('/refunds/direct')
          .auth(desk.readerToken, { type: 'bearer' })
          .send({ orderId: 'o-6' });

        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          statusCode: 403,
          message: "Agent 'SupportBot' lacks scope 'write:refunds'.",
          error: 'Forbidden',
          scope: 'write:refunds',
          agent: 'SupportBot',
          reason: 'scope',
        });
        expect(res.text).not.toMatch(/read:customers|read:orders|RefundService|PermissionDeniedError/);
        expect(logger.at('warn')).toContainEqual(
          expect.stringContaining(
            "lacks scope 'write:refunds' required by RefundService.refund. It has: read:customers, read:orders.",
          ),
        );
      } finally {
        await app.close();
      }
    });

    it('with exposeDetails: true, the full message, the function and the granted scopes', async () => {
      const app = await startDesk(platform, { module: { exposeDetails: true } });
      captureEvents();
      try {
        const res = await request(app.getHttpServer())
          .post('/refunds/direct')
          .auth(desk.readerToken, { type: 'bearer' })
          .send({ orderId: 'o-7' });

        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({
          statusCode: 403,
          error: 'Forbidden',
          scope: 'write:refunds',
          agent: 'SupportBot',
          reason: 'scope',
          functionName: 'RefundService.refund',
          grantedScopes: ['read:customers', 'read:orders'],
        });
        expect(res.body.message).toMatch(
          /required by RefundService\.refund\. It has: read:customers, read:orders/,
        );
      } finally {
        await app.close();
      }
    });
  });
});

describe('AgentForbiddenException', () => {
  it('is a ForbiddenException carrying scope, agent and reason, with the PermissionError as cause', () => {
    const error = new PermissionError('denied', {
      agentName: 'Bot',
      scope: 'write:refunds',
      functionName: 'f',
    });

    const exception = new AgentForbiddenException(error);

    expect(exception.getStatus()).toBe(403);
    expect(exception).toMatchObject({ scope: 'write:refunds', agent: 'Bot', reason: 'scope', cause: error });
  });
});
