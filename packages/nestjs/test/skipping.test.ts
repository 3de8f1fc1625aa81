import { Controller, Get, Param, VersioningType, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { configure, type Agent } from '@agentsudo/core';
import {
  AgentSudoModule,
  CurrentAgent,
  generateAgentToken,
  OptionalAgent,
  Public,
  RequireScope,
  SkipAgent,
} from '../src';
import { CustomerService } from './fixtures/support-desk';
import { PLATFORMS, RecordingLogger, startApp, type Platform } from './nest-app';
import { captureEvents, supportDeskAgents } from './support';

@Controller('catalog')
class CatalogController {
  constructor(private readonly customers: CustomerService) {}

  @Get('public')
  @Public()
  open(@CurrentAgent() agent: Agent | null) {
    return { agent: agent?.name ?? null };
  }

  @Get('skip')
  @SkipAgent()
  skipped(@CurrentAgent() agent: Agent | null) {
    return { agent: agent?.name ?? null };
  }

  @Get('optional')
  @OptionalAgent()
  optional(@CurrentAgent() agent: Agent | null) {
    return { agent: agent?.name ?? null };
  }

  @Get('private')
  closed(@CurrentAgent() agent: Agent) {
    return { agent: agent.name };
  }

  /** Public, yet it calls a protected service. */
  @Get('public/customers/:id')
  @Public()
  customer(@Param('id') id: string) {
    return this.customers.getCustomer(id);
  }
}

@Controller('open-desk')
@Public()
class OpenController {
  @Get()
  list() {
    return { open: true };
  }
}

@Controller({ path: 'status', version: '1' })
class StatusController {
  @Get()
  status() {
    return { ok: true };
  }

  @Get('secret')
  @RequireScope('read:status')
  secret() {
    return { secret: true };
  }
}

const desk = supportDeskAgents();

function start(platform: Platform, setup?: (app: INestApplication) => void, logger?: RecordingLogger) {
  return startApp(platform, {
    imports: [AgentSudoModule.forRoot({ agents: desk.registrations, exclude: ['status', 'status/secret'] })],
    controllers: [CatalogController, OpenController, StatusController],
    providers: [CustomerService],
    setup,
    logger,
  });
}

describe.each(PLATFORMS)('skipping the agent requirement, on the %s platform', (platform) => {
  afterEach(() => configure({ transports: [] }));

  describe('by decorator', () => {
    let app: INestApplication;
    const get = (path: string, token?: string) => {
      const req = request(app.getHttpServer()).get(path);
      return token === undefined ? req : req.auth(token, { type: 'bearer' });
    };
    beforeAll(async () => {
      app = await start(platform);
    });
    afterAll(() => app.close());
    beforeEach(() => captureEvents());

    it('@Public() on a handler serves it without an agent, whatever credential comes', async () => {
      const none = await get('/catalog/public');
      const unknown = await get('/catalog/public', generateAgentToken());
      const known = await get('/catalog/public', desk.readerToken);
      const neighbour = await get('/catalog/private');

      expect([none.status, unknown.status, known.status]).toEqual([200, 200, 200]);
      expect([none.body, unknown.body, known.body]).toEqual([
        { agent: null },
        { agent: null },
        { agent: 'SupportBot' },
      ]);
      expect(neighbour.status).toBe(401);
    });

    it('@SkipAgent() is the same, and @Public() on a controller covers all its routes', async () => {
      const skipped = await get('/catalog/skip');
      const controller = await get('/open-desk');

      expect(skipped.status).toBe(200);
      expect(controller.status).toBe(200);
    });

    it('@OptionalAgent() gives the agent for a valid token, null for none, and 401 for a wrong one', async () => {
      const known = await get('/catalog/optional', desk.refunderToken);
      const none = await get('/catalog/optional');
      const unknown = await get('/catalog/optional', generateAgentToken());

      expect(known.body).toEqual({ agent: 'RefundBot' });
      expect(none.body).toEqual({ agent: null });
      expect(unknown.status).toBe(401);
      expect(unknown.body.reason).toBe('unknown_token');
    });

    it('denies a protected call on a public route 403 without telling the client how to write the code', async () => {
      const res = await get('/catalog/public/customers/c-1');

      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ scope: 'read:customers', agent: null, reason: 'no_session' });
      expect(res.text).not.toMatch(/startSession/);
    });
  });

  describe('by path, with exclude', () => {
    it.each([
      [
        'URI versioning',
        '/v1/status',
        (app: INestApplication) => app.enableVersioning({ type: VersioningType.URI }),
      ],
      [
        'a global prefix and URI versioning',
        '/api/v1/status',
        (app: INestApplication) => {
          app.setGlobalPrefix('api');
          app.enableVersioning({ type: VersioningType.URI });
        },
      ],
      [
        'header versioning',
        '/status',
        (app: INestApplication) => app.enableVersioning({ type: VersioningType.HEADER, header: 'X-Version' }),
      ],
    ])('serves an excluded route without an agent under %s', async (_name, path, setup) => {
      const app = await start(platform, setup);
      try {
        const res = await request(app.getHttpServer()).get(path).set('X-Version', '1');

        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ok: true });
      } finally {
        await app.close();
      }
    });

    it('warns at startup when it excludes a route that carries @RequireScope', async () => {
      const logger = new RecordingLogger();
      const app = await start(platform, (a) => a.enableVersioning({ type: VersioningType.URI }), logger);
      await app.close();

      expect(logger.at('warn')).toEqual([
        expect.stringMatching(
          /exclude leaves out StatusController\.secret, which carries @RequireScope\('read:status'\)/,
        ),
      ]);
    });
  });
});
