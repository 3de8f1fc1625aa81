import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { Body, Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import express from 'express';
import request from 'supertest';
import { Agent, configure, Sudo, type Guard } from '@agentsudo/core';
import { AgentSudoModule } from '../src';
import { agentSudoMiddleware, generateAgentToken, permissionErrorHandler } from '../src/express';
import { PLATFORMS, startApp } from './nest-app';
import { closeServer, listenLocal } from './support';

const HOUR_S = 3600;
const DAY_S = 86_400;

/** Refuses a note that tries to drop a table; the message never quotes the note. */
const noDropTable: Guard = {
  name: 'noDropTable',
  inspect: (args) =>
    /\bDROP\s+TABLE\b/i.test(String(args[2] ?? ''))
      ? { action: 'refuse', rule: 'noDropTable.drop_table', message: 'The note drops a table.' }
      : undefined,
};

@Injectable()
class Payments {
  @Sudo('write:refunds', {
    cost: (_orderId: string, amount: number) => amount,
    when: ({ args }) => (args[1] as number) <= 200,
    guards: [noDropTable],
  })
  refund(orderId: string, amount: number, note = '') {
    return { orderId, amount, note, status: 'refunded' };
  }
}

@Controller('refunds')
class RefundsController {
  constructor(private readonly payments: Payments) {}

  @Post()
  refund(@Body() body: { orderId: string; amount: number; note?: string }) {
    return this.payments.refund(body.orderId, body.amount, body.note);
  }
}

/** One agent per rule, so each scenario starts from fresh counters. */
function refundAgents() {
  const make = (name: string, extra: Partial<ConstructorParameters<typeof Agent>[0]> = {}) => ({
    agent: new Agent({ name, scopes: ['write:refunds'], ...extra }),
    token: generateAgentToken(),
  });
  const agents = {
    rate: make('RateBot', { limits: { 'write:refunds': { max: 1, per: '1h' } } }),
    budget: make('BudgetBot', { budgets: { 'write:refunds': { max: 100, per: '1d' } } }),
    plain: make('PlainBot'),
  };
  return { ...agents, registrations: Object.values(agents) };
}

type Agents = ReturnType<typeof refundAgents>;

/** The same scenarios, told once, for each way of serving them. */
function denialScenarios(serve: (agents: Agents) => Promise<{ server: Server; close: () => Promise<void> }>) {
  let agents: Agents;
  let server: Server;
  let close: () => Promise<void>;
  beforeEach(async () => {
    configure({ transports: [] });
    agents = refundAgents();
    ({ server, close } = await serve(agents));
  });
  afterEach(() => close());

  const refund = (token: string, body: object) =>
    request(server).post('/refunds').auth(token, { type: 'bearer' }).send(body);

  it('answers a used-up rate limit 429 with Retry-After in whole seconds, rounded up', async () => {
    const first = await refund(agents.rate.token, { orderId: 'o-1', amount: 10 });
    const second = await refund(agents.rate.token, { orderId: 'o-2', amount: 10 });

    expect(first.status).toBe(201);
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(HOUR_S - 600);
    expect(retryAfter).toBeLessThanOrEqual(HOUR_S);
    expect(second.body).toMatchObject({
      scope: 'write:refunds',
      agent: 'RateBot',
      reason: 'rate_limit',
      retryAfter,
    });
  });

  it('answers a budget the call fits once spending leaves the window 429, with what is left', async () => {
    const spent = await refund(agents.budget.token, { orderId: 'o-1', amount: 80 });
    const over = await refund(agents.budget.token, { orderId: 'o-2', amount: 30 });

    expect(spent.status).toBe(201);
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(DAY_S - 600);
    expect(retryAfter).toBeLessThanOrEqual(DAY_S);
    expect(over.body).toMatchObject({ reason: 'budget', remaining: 20, retryAfter });
  });

  it('answers a cost larger than the whole budget 403 without Retry-After: retrying never helps', async () => {
    // 150 passes the condition (at most 200), and a budget of 100 can never hold it.
    const res = await refund(agents.budget.token, { orderId: 'o-1', amount: 150 });

    expect(res.status).toBe(403);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toMatchObject({ reason: 'budget', remaining: 100 });
  });

  it('answers a guardrail refusal 403 with the reason, the guard and its rule', async () => {
    const res = await refund(agents.plain.token, {
      orderId: 'o-1',
      amount: 10,
      note: 'x; DROP TABLE orders',
    });

    expect(res.status).toBe(403);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toMatchObject({
      reason: 'guardrail',
      guard: 'noDropTable',
      rule: 'noDropTable.drop_table',
    });
    expect(res.text).not.toContain('orders');
  });

  it('answers a failed condition 403 with the reason', async () => {
    const res = await refund(agents.plain.token, { orderId: 'o-1', amount: 500 });

    expect(res.status).toBe(403);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toMatchObject({ scope: 'write:refunds', agent: 'PlainBot', reason: 'condition' });
  });
}

describe.each(PLATFORMS)('limit, budget, guard and condition denials in Nest, on %s', (platform) => {
  denialScenarios(async (agents) => {
    const app: INestApplication = await startApp(platform, {
      imports: [AgentSudoModule.forRoot({ agents: agents.registrations })],
      controllers: [RefundsController],
      providers: [Payments],
    });
    return { server: app.getHttpServer() as Server, close: () => app.close() };
  });
});

describe('limit, budget, guard and condition denials in Express', () => {
  denialScenarios(async (agents) => {
    const payments = new Payments();
    const app = express();
    app.use(express.json());
    app.use(agentSudoMiddleware({ agents: agents.registrations }));
    app.post('/refunds', (req, res) => {
      res.status(201).json(payments.refund(req.body.orderId, req.body.amount, req.body.note));
    });
    app.use(permissionErrorHandler());
    const server = createServer(app);
    await listenLocal(server);
    return { server, close: () => closeServer(server) };
  });
});
