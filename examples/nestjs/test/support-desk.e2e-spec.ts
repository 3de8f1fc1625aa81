import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { Agent, type SudoEvent, type Transport } from '@agentsudo/core';
import { AGENTSUDO_MODULE_OPTIONS, AgentRegistry, generateAgentToken } from '@agentsudo/nestjs';
import { RefundService, SupportDeskModule } from '../src/support-desk';

/** Keeps the audit events of the run, to assert on them. */
class RecordedEvents implements Transport {
  readonly events: SudoEvent[] = [];
  log(event: SudoEvent): void {
    this.events.push(event);
  }
}

const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
const refundBot = new Agent({ name: 'RefundBot', scopes: ['read:*', 'write:refunds'] });
const tokens = { SupportBot: generateAgentToken(), RefundBot: generateAgentToken() };

async function createApp(
  moduleRef: TestingModule,
  platform: 'express' | 'fastify',
): Promise<INestApplication> {
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe.each(['express', 'fastify'] as const)('Support desk (e2e, %s)', (platform) => {
  const audit = new RecordedEvents();
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SupportDeskModule.register({
          agents: [
            { agent: supportBot, token: tokens.SupportBot },
            { agent: refundBot, token: tokens.RefundBot },
          ],
          transports: [audit],
        }),
      ],
    }).compile();
    app = await createApp(moduleRef, platform);
  });

  afterAll(async () => {
    await app.close();
  });

  it('GET /customers/:id serves SupportBot', () => {
    return request(app.getHttpServer())
      .get('/customers/c-42')
      .auth(tokens.SupportBot, { type: 'bearer' })
      .expect(200)
      .expect({ id: 'c-42', name: 'John Doe', plan: 'pro' });
  });

  it('POST /refunds refuses SupportBot with 403 naming the missing scope', async () => {
    const res = await request(app.getHttpServer())
      .post('/refunds')
      .auth(tokens.SupportBot, { type: 'bearer' })
      .send({ orderId: 'o-7', amount: 120 })
      .expect(403);

    expect(res.body).toEqual({
      statusCode: 403,
      message: "Agent 'SupportBot' lacks scope 'write:refunds'.",
      error: 'Forbidden',
      scope: 'write:refunds',
      agent: 'SupportBot',
      reason: 'scope',
    });
    expect(audit.events).toContainEqual(
      expect.objectContaining({ agentName: 'SupportBot', scope: 'write:refunds', allowed: false }),
    );
  });

  it('POST /refunds lets RefundBot refund', () => {
    return request(app.getHttpServer())
      .post('/refunds')
      .auth(tokens.RefundBot, { type: 'bearer' })
      .send({ orderId: 'o-7', amount: 120 })
      .expect(201)
      .expect({ orderId: 'o-7', amount: 120, status: 'refunded', by: 'RefundBot' });
  });

  it('answers 401 without a token, and serves the @Public() health check', async () => {
    await request(app.getHttpServer())
      .get('/customers/c-42')
      .expect(401)
      .expect('WWW-Authenticate', /Bearer/);
    await request(app.getHttpServer()).get('/health').expect(200).expect({ ok: true });
  });
});

describe.each(['express', 'fastify'] as const)('Support desk with test doubles (%s)', (platform) => {
  it('overrideProvider(AgentRegistry) swaps the agents for the test’s own', async () => {
    const testToken = generateAgentToken();
    const testBot = new Agent({ name: 'TestBot', scopes: ['read:customers'] });
    const moduleRef = await Test.createTestingModule({
      imports: [SupportDeskModule.register({ agents: [{ agent: supportBot, token: tokens.SupportBot }] })],
    })
      .overrideProvider(AgentRegistry)
      .useValue(new AgentRegistry([{ agent: testBot, token: testToken }]))
      .compile();
    const app = await createApp(moduleRef, platform);
    try {
      await request(app.getHttpServer())
        .get('/customers/c-43')
        .auth(testToken, { type: 'bearer' })
        .expect(200);
      await request(app.getHttpServer())
        .get('/customers/c-43')
        .auth(tokens.SupportBot, { type: 'bearer' })
        .expect(401);
    } finally {
      await app.close();
    }
  });

  it('overrideProvider(AGENTSUDO_MODULE_OPTIONS) replaces the options, here to show clients every detail', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SupportDeskModule.register({ agents: [{ agent: supportBot, token: tokens.SupportBot }] })],
    })
      .overrideProvider(AGENTSUDO_MODULE_OPTIONS)
      .useValue({ agents: [{ agent: supportBot, token: tokens.SupportBot }], exposeDetails: true })
      .compile();
    const app = await createApp(moduleRef, platform);
    try {
      const res = await request(app.getHttpServer())
        .post('/refunds')
        .auth(tokens.SupportBot, { type: 'bearer' })
        .send({ orderId: 'o-8', amount: 5 })
        .expect(403);

      expect(res.body.grantedScopes).toEqual(['read:customers', 'read:orders']);
    } finally {
      await app.close();
    }
  });
});

describe('RefundService (unit)', () => {
  it('runs as the agent of agent.startSession, and refuses one without the scope', async () => {
    const moduleRef = await Test.createTestingModule({ providers: [RefundService] }).compile();
    const refunds = moduleRef.get(RefundService);

    await expect(refundBot.startSession(() => refunds.processRefund('o-9', 10))).resolves.toEqual({
      orderId: 'o-9',
      amount: 10,
      status: 'refunded',
    });
    await expect(supportBot.startSession(() => refunds.processRefund('o-9', 10))).rejects.toThrow(
      /lacks scope 'write:refunds'/,
    );
  });
});
