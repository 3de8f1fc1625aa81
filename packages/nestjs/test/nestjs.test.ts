import { Injectable, Module, RequestMethod, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Agent, configure } from '@agentsudo/core';
import {
  AGENTSUDO_MODULE_OPTIONS,
  AgentRegistry,
  AgentSudoModule,
  generateAgentToken,
  hashAgentToken,
  RequireScope,
  SudoDispatcher,
  type AgentSudoModuleOptions,
} from '../src';
import {
  RefundService,
  RequestProbe,
  SingletonProbe,
  supportDeskControllers,
  supportDeskProviders,
  TransientProbe,
} from './fixtures/support-desk';
import { captureEvents, delay, interleaved, MemoryTransport, supportDeskAgents } from './support';

/** Nest's two HTTP platforms; every suite below runs on both. */
const PLATFORMS = ['express', 'fastify'] as const;
type Platform = (typeof PLATFORMS)[number];

/** Boots the support desk behind AgentSudoModule on 127.0.0.1 at an ephemeral port. */
async function startDesk(
  module: ReturnType<typeof AgentSudoModule.forRoot>,
  platform: Platform,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [module],
    controllers: supportDeskControllers,
    providers: supportDeskProviders,
  }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** POSTs JSON whose body arrives in two pieces 100 ms apart, as from a slow client. */
function postInPieces(app: INestApplication, path: string, token: string, body: unknown) {
  const json = JSON.stringify(body);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.write(json.slice(0, 5));
    setTimeout(() => req.end(json.slice(5)), 100);
  });
}

describe.each(PLATFORMS)('on the %s platform', (platform) => {
  describe('AgentSudoModule.forRoot with bearer tokens', () => {
    const desk = supportDeskAgents();
    let app: INestApplication;
    let events: MemoryTransport;
    const asReader = (req: request.Test) => req.auth(desk.readerToken, { type: 'bearer' });
    const asRefunder = (req: request.Test) => req.auth(desk.refunderToken, { type: 'bearer' });

    beforeAll(async () => {
      app = await startDesk(
        AgentSudoModule.forRoot({
          agents: desk.registrations,
          exclude: [{ path: 'health', method: RequestMethod.GET }, 'public/{*rest}'],
        }),
        platform,
      );
    });
    afterAll(async () => {
      await app.close();
      configure({ transports: [] });
    });
    beforeEach(() => {
      events = captureEvents();
    });

    describe('401: who is calling', () => {
      it('rejects a request without a token', async () => {
        const res = await request(app.getHttpServer()).get('/customers/c-1');

        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="agentsudo"');
        expect(res.body).toEqual({
          statusCode: 401,
          message: 'Missing agent token: send Authorization: Bearer <agent token>.',
          error: 'Unauthorized',
          reason: 'missing_token',
        });
      });

      it('rejects an unknown token and a malformed header', async () => {
        const unknown = await request(app.getHttpServer())
          .get('/customers/c-1')
          .auth(generateAgentToken(), { type: 'bearer' });
        const malformed = await request(app.getHttpServer())
          .get('/customers/c-1')
          .set('Authorization', `Token ${desk.readerToken}`);

        expect(unknown.status).toBe(401);
        expect(unknown.body).toMatchObject({ message: expect.stringMatching(/Unknown agent token/) });
        expect(unknown.body.reason).toBe('unknown_token');
        expect(malformed.status).toBe(401);
        expect(malformed.body.message).toMatch(/Malformed Authorization header/);
        expect(malformed.body.reason).toBe('malformed_token');
      });

      it('serves excluded routes without an agent', async () => {
        const res = await request(app.getHttpServer()).get('/health');

        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ok: true, agent: null });
      });

      it('answers 403 with agent null when an excluded route calls a protected service', async () => {
        const res = await request(app.getHttpServer()).get('/public/customers/c-1');

        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          statusCode: 403,
          message: "This call needs scope 'read:customers', and the request runs without an agent.",
          error: 'Forbidden',
          scope: 'read:customers',
          agent: null,
          reason: 'no_session',
        });
      });

      it('injects the calling agent with @CurrentAgent()', async () => {
        const res = await asReader(request(app.getHttpServer()).get('/me'));

        expect(res.body).toEqual({
          name: 'SupportBot',
          scopes: ['read:customers', 'read:orders'],
          session: 'SupportBot',
        });
      });
    });

    describe('403: what it may do', () => {
      it('allows a route whose controller-level @RequireScope the agent holds', async () => {
        const res = await asReader(request(app.getHttpServer()).get('/customers/c-7'));

        expect(res.status).toBe(200);
        expect(res.body).toEqual({ id: 'c-7', name: 'John Doe', servedTo: 'SupportBot' });
        expect(events.checks()).toEqual([
          'SupportBot allowed read:customers in CustomersController.get',
          'SupportBot allowed read:customers in CustomerService.getCustomer',
        ]);
      });

      it('denies a handler-level @RequireScope with 403 { statusCode, message, error, scope, agent, reason } before the handler runs', async () => {
        const refunds = app.get(RefundService);

        const res = await asReader(request(app.getHttpServer()).post('/refunds').send({ orderId: 'o-1' }));

        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          statusCode: 403,
          message: "Agent 'SupportBot' lacks scope 'write:refunds'.",
          error: 'Forbidden',
          scope: 'write:refunds',
          agent: 'SupportBot',
          reason: 'scope',
        });
        expect(refunds.done).not.toContain('o-1');
        expect(events.checks()).toEqual(['SupportBot denied write:refunds in RefundsController.create']);
      });

      it('turns a denial deep in a service into 403, never 500', async () => {
        const res = await asReader(
          request(app.getHttpServer()).post('/refunds/direct').send({ orderId: 'o-2' }),
        );

        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ scope: 'write:refunds', agent: 'SupportBot', reason: 'scope' });
        expect(app.get(RefundService).done).not.toContain('o-2');
      });

      it('adds up controller and handler scopes: the agent needs every one', async () => {
        const writerToken = generateAgentToken();
        app.get(AgentRegistry).register({
          agent: new Agent({ name: 'WriteOnlyBot', scopes: ['write:refunds'] }),
          token: writerToken,
        });

        const res = await request(app.getHttpServer())
          .post('/refunds')
          .auth(writerToken, { type: 'bearer' })
          .send({ orderId: 'o-4' });

        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ scope: 'read:orders', agent: 'WriteOnlyBot' });
        expect(events.checks()).toEqual([
          'WriteOnlyBot allowed write:refunds in RefundsController.create',
          'WriteOnlyBot denied read:orders in RefundsController.create',
        ]);
      });

      it('lets the agent holding the scope refund', async () => {
        const res = await asRefunder(request(app.getHttpServer()).post('/refunds').send({ orderId: 'o-3' }));

        expect(res.status).toBe(201);
        expect(res.body).toEqual({ orderId: 'o-3', status: 'refunded', by: 'RefundBot' });
      });

      it('leaves other errors to Nest (500)', async () => {
        const res = await asReader(request(app.getHttpServer()).get('/boom'));

        expect(res.status).toBe(500);
      });
    });

    it('keeps the session when the request body arrives in pieces', async () => {
      const res = await postInPieces(app, '/refunds/direct', desk.refunderToken, { orderId: 'o-slow' });

      expect(res).toEqual({ status: 201, body: { orderId: 'o-slow', status: 'refunded', by: 'RefundBot' } });
      expect(events.checks()).toEqual([
        'RefundBot allowed read:orders in RefundsController.direct',
        'RefundBot allowed write:refunds in RefundService.refund',
      ]);
    });

    describe('sessions through dependency injection', () => {
      it.each<[string, unknown]>([
        ['singleton', SingletonProbe],
        ['transient', TransientProbe],
        ['request', RequestProbe],
      ])(
        'a %s-scoped service sees the agent after awaits, timers and nested @Sudo calls',
        async (kind: string) => {
          const res = await asRefunder(request(app.getHttpServer()).get(`/hops/${kind}/5`));

          expect(res.status).toBe(200);
          expect(res.body.agent).toBe('RefundBot');
          expect(res.body.seen).toEqual(['RefundBot', 'RefundBot', 'RefundBot', 'RefundBot']);
        },
      );

      it('builds request-scoped services per request and each runs as its own request’s agent', async () => {
        const before = RequestProbe.instances;

        const res = await asReader(
          request(app.getHttpServer()).get('/hops/request/1').set('X-Request-Id', 'r-42'),
        );

        expect(RequestProbe.instances).toBe(before + 1);
        expect(res.body).toEqual({
          agent: 'SupportBot',
          seen: Array(4).fill('SupportBot'),
          requestId: 'r-42',
        });
      });

      it.each(['singleton', 'transient', 'request'])(
        'never leaks one agent into the other’s concurrent, interleaved requests (%s)',
        async (kind) => {
          const calls = interleaved(30, (i, waitMs) => {
            const [name, send] = i % 2 ? ['RefundBot', asRefunder] : ['SupportBot', asReader];
            return send(
              request(app.getHttpServer()).get(`/hops/${kind}/${waitMs}`).set('X-Request-Id', `r-${i}`),
            ).then((res) => ({ name, i, body: res.body }));
          });

          const results = await Promise.all(calls);

          for (const { name, i, body } of results) {
            expect(body.agent).toBe(name);
            expect(body.seen).toEqual([name, name, name, name]);
            if (kind === 'request') expect(body.requestId).toBe(`r-${i}`);
          }
        },
      );

      it('opens one session per request, ended once the response is sent', async () => {
        await asReader(request(app.getHttpServer()).get('/customers/c-1'));
        await delay(5);

        const [start, ...rest] = events.events;
        const end = rest[rest.length - 1];
        expect(start).toMatchObject({ action: 'session_start', agentName: 'SupportBot' });
        expect(end).toMatchObject({
          action: 'session_end',
          agentName: 'SupportBot',
          sessionId: start.sessionId,
        });
        expect(
          rest.filter((e) => e.action === 'permission_check').every((e) => e.sessionId === start.sessionId),
        ).toBe(true);
      });
    });

    describe('injectable providers', () => {
      it('exposes the agent registry, whose agents can be added at runtime', async () => {
        const registry = app.get(AgentRegistry);
        const token = generateAgentToken();
        registry.register({ agent: new Agent({ name: 'LateBot', scopes: ['read:customers'] }), token });

        const res = await request(app.getHttpServer()).get('/me').auth(token, { type: 'bearer' });

        expect(registry.list().map((a) => a.name)).toContain('LateBot');
        expect(res.body.name).toBe('LateBot');
      });

      it('exposes the dispatcher, through which transports are added and flushed', async () => {
        const dispatcher = app.get(SudoDispatcher);
        const extra = new MemoryTransport();
        dispatcher.addTransport(extra);

        await asReader(request(app.getHttpServer()).get('/customers/c-1'));

        expect(dispatcher.transports()).toContain(extra);
        expect(await dispatcher.flush(1000)).toBe(true);
        expect(extra.checks()).toContain('SupportBot allowed read:customers in CustomerService.getCustomer');
        expect(dispatcher.removeTransport(extra)).toBe(true);
      });
    });
  });

  describe('AgentSudoModule under a global prefix', () => {
    it('admits prefixed routes with no route warning from Nest', async () => {
      const desk = supportDeskAgents();
      const warnings: string[] = [];
      const logger = {
        log: () => undefined,
        error: (m: unknown) => warnings.push(String(m)),
        warn: (m: unknown) => warnings.push(String(m)),
      };
      const moduleRef = await Test.createTestingModule({
        imports: [AgentSudoModule.forRoot({ agents: desk.registrations })],
        controllers: supportDeskControllers,
        providers: supportDeskProviders,
      }).compile();
      const app =
        platform === 'fastify'
          ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger })
          : moduleRef.createNestApplication({ logger });
      app.setGlobalPrefix('api');
      await app.listen(0, '127.0.0.1');
      captureEvents();
      try {
        const me = await request(app.getHttpServer())
          .get('/api/me')
          .auth(desk.readerToken, { type: 'bearer' });
        const anonymous = await request(app.getHttpServer()).get('/api/customers/c-1');

        expect(me.body.name).toBe('SupportBot');
        expect(anonymous.status).toBe(401);
        expect(warnings).toEqual([]);
      } finally {
        await app.close();
        configure({ transports: [] });
      }
    });
  });

  describe('AgentSudoModule.forRootAsync', () => {
    const desk = supportDeskAgents();

    @Injectable()
    class SecretsService {
      /** Stands in for a secret store: it holds digests only. */
      async tokenDigest(agent: string): Promise<string> {
        await delay(1);
        return hashAgentToken(agent === 'SupportBot' ? desk.readerToken : desk.refunderToken);
      }
    }

    @Module({ providers: [SecretsService], exports: [SecretsService] })
    class SecretsModule {}

    it('builds its options from injected providers, with transports that are closed on app close', async () => {
      const closed: string[] = [];
      const transport = new MemoryTransport();
      Object.assign(transport, { close: async () => void closed.push('memory') });
      const app = await startDesk(
        AgentSudoModule.forRootAsync({
          imports: [SecretsModule],
          inject: [SecretsService],
          useFactory: async (secrets: SecretsService): Promise<AgentSudoModuleOptions> => ({
            agents: [
              { agent: desk.reader, tokenSha256: await secrets.tokenDigest('SupportBot') },
              { agent: desk.refunder, tokenSha256: await secrets.tokenDigest('RefundBot') },
            ],
            transports: [transport],
          }),
        }),
        platform,
      );
      try {
        const allowed = await request(app.getHttpServer())
          .post('/refunds')
          .auth(desk.refunderToken, { type: 'bearer' })
          .send({ orderId: 'o-5' });
        const denied = await request(app.getHttpServer())
          .post('/refunds')
          .auth(desk.readerToken, { type: 'bearer' })
          .send({ orderId: 'o-6' });

        expect(allowed.status).toBe(201);
        expect(denied.status).toBe(403);
        expect(app.get(AGENTSUDO_MODULE_OPTIONS).transports).toEqual([transport]);
        expect(transport.checks()).toContain('SupportBot denied write:refunds in RefundsController.create');
      } finally {
        await app.close();
      }
      expect(closed).toEqual(['memory']);
    });

    it('rejects a factory that returns no options object', async () => {
      const build = Test.createTestingModule({
        imports: [AgentSudoModule.forRootAsync({ useFactory: () => null as never })],
      }).compile();

      await expect(build).rejects.toThrow(/AgentSudoModule options: options must be an object/);
    });
  });

  describe('AgentSudoModule with a custom resolveAgent', () => {
    it('runs requests as the agent the resolver names, and answers 401 when it names none', async () => {
      const desk = supportDeskAgents();
      const app = await startDesk(
        AgentSudoModule.forRoot({
          agents: [{ agent: desk.reader }, { agent: desk.refunder }],
          resolveAgent: (req, registry) => registry.get(String(req.headers['x-gateway-agent'])),
        }),
        platform,
      );
      captureEvents();
      try {
        const named = await request(app.getHttpServer()).get('/me').set('X-Gateway-Agent', 'RefundBot');
        const stranger = await request(app.getHttpServer()).get('/me').set('X-Gateway-Agent', 'Stranger');

        expect(named.body.name).toBe('RefundBot');
        expect(stranger.status).toBe(401);
        expect(stranger.body.message).toMatch(/resolveAgent returned none/);
        expect(stranger.body.reason).toBe('no_agent');
      } finally {
        await app.close();
        configure({ transports: [] });
      }
    });
  });
});

describe('AgentSudoModule options', () => {
  it('names bad options at forRoot and bad scopes at @RequireScope', () => {
    expect(() => AgentSudoModule.forRoot('agents' as never)).toThrow(/options must be an object/);
    expect(() => AgentSudoModule.forRoot({ exclude: 'health' as never })).toThrow(/exclude must be an array/);
    expect(() => AgentSudoModule.forRoot({ transports: {} as never })).toThrow(/transports must be an array/);
    expect(() => RequireScope()).toThrow(/name at least one scope/);
    expect(() => RequireScope('write:refunds', '')).toThrow(
      /@RequireScope\(\) argument 2: scope "" is blank/,
    );
  });
});
