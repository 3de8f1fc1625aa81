import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { Agent, configure, currentAgent, Sudo, type SudoEvent } from '@agentsudo/core';
import {
  AgentRegistry,
  agentOf,
  agentSudoMiddleware,
  permissionErrorHandler,
  requireScope,
  type AgentSource,
} from '../src/express';
import {
  agentsSeenAcrossAsyncHops,
  captureEvents,
  closeServer,
  delay,
  interleaved,
  listenLocal,
  supportDeskAgents,
  type MemoryTransport,
} from './support';

class CustomerService {
  @Sudo('read:customers')
  async getCustomer(id: string) {
    await delay(2);
    return { id, name: 'John Doe', servedTo: currentAgent()?.name };
  }
}

class RefundService {
  readonly done: string[] = [];

  @Sudo('write:refunds')
  refund(orderId: string) {
    this.done.push(orderId);
    return { orderId, status: 'refunded' };
  }
}

function supportDeskApp(source: AgentSource, extra?: (app: express.Express) => void) {
  const customers = new CustomerService();
  const refunds = new RefundService();
  const app = express();
  app.use(express.json());
  extra?.(app);
  app.use(agentSudoMiddleware(source));
  app.get('/customers/:id', async (req, res) => {
    res.json(await customers.getCustomer(req.params.id as string));
  });
  app.post('/refunds', requireScope('write:refunds'), (req, res) => {
    res.json(refunds.refund(req.body.orderId));
  });
  // No route-level check: the service's @Sudo is what denies.
  app.post('/refunds/direct', async (req, res) => {
    await delay(1);
    res.json(refunds.refund(req.body.orderId));
  });
  app.get('/whoami', (req, res) => {
    res.json({ fromRequest: agentOf(req)?.name, fromSession: currentAgent()?.name });
  });
  app.get('/hops/:wait', async (req, res) => {
    res.json({
      agent: agentOf(req)?.name,
      seen: await agentsSeenAcrossAsyncHops(
        Number(req.params.wait),
        async () => (await customers.getCustomer('c-1')).servedTo,
      ),
    });
  });
  app.get('/slow', async (_req, res) => {
    await delay(300);
    if (!res.writableEnded && !res.destroyed) res.json({ late: true });
  });
  app.get('/boom', () => {
    throw new Error('database unreachable');
  });
  app.use(permissionErrorHandler());
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ unexpected: err.message });
  });
  return { app, refunds };
}

describe('Express: agentSudoMiddleware, requireScope and permissionErrorHandler', () => {
  const desk = supportDeskAgents();
  let server: Server;
  let base: string;
  let refunds: RefundService;
  let events: MemoryTransport;

  beforeAll(async () => {
    const built = supportDeskApp({ agents: desk.registrations });
    refunds = built.refunds;
    server = createServer(built.app);
    base = await listenLocal(server);
  });
  afterAll(async () => {
    await closeServer(server);
    configure({ transports: [] });
  });
  beforeEach(() => {
    events = captureEvents();
  });

  describe('who is calling', () => {
    it('answers 401 JSON when no token is sent', async () => {
      const res = await request(base).get('/customers/c-1');

      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="agentsudo"');
      expect(res.body).toEqual({ error: 'Missing agent token: send Authorization: Bearer <agent token>.' });
    });

    it('answers 401 to an unknown token and to a malformed header', async () => {
      const unknown = await request(base)
        .get('/customers/c-1')
        .set('Authorization', 'Bearer not-a-registered-token');
      const malformed = await request(base).get('/customers/c-1').set('Authorization', desk.readerToken);

      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toMatch(/Unknown agent token/);
      expect(malformed.status).toBe(401);
      expect(malformed.body.error).toMatch(/Malformed Authorization header/);
    });

    it('runs the request as the agent holding the token', async () => {
      const res = await request(base).get('/whoami').auth(desk.readerToken, { type: 'bearer' });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ fromRequest: 'SupportBot', fromSession: 'SupportBot' });
    });
  });

  describe('permissions', () => {
    it('lets an agent call a @Sudo service it has the scope for', async () => {
      const res = await request(base).get('/customers/c-7').auth(desk.readerToken, { type: 'bearer' });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: 'c-7', name: 'John Doe', servedTo: 'SupportBot' });
      expect(events.checks()).toEqual(['SupportBot allowed read:customers in CustomerService.getCustomer']);
    });

    it('denies a route with requireScope before the handler runs: 403 { error, scope, agent, reason }', async () => {
      const res = await request(base)
        .post('/refunds')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-1' });

      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: expect.stringContaining("Agent 'SupportBot' lacks scope 'write:refunds'"),
        scope: 'write:refunds',
        agent: 'SupportBot',
        reason: 'scope',
      });
      expect(refunds.done).not.toContain('o-1');
      expect(events.checks()).toEqual(["SupportBot denied write:refunds in requireScope('write:refunds')"]);
    });

    it('answers 403, not 500, when a @Sudo service deep in the handler denies', async () => {
      const res = await request(base)
        .post('/refunds/direct')
        .auth(desk.readerToken, { type: 'bearer' })
        .send({ orderId: 'o-2' });

      expect(res.status).toBe(403);
      expect(res.body.scope).toBe('write:refunds');
      expect(res.body.agent).toBe('SupportBot');
      expect(res.body.error).toMatch(/required by RefundService\.refund/);
      expect(refunds.done).not.toContain('o-2');
    });

    it('lets the agent that holds the scope through both the route check and the service', async () => {
      const res = await request(base)
        .post('/refunds')
        .auth(desk.refunderToken, { type: 'bearer' })
        .send({ orderId: 'o-3' });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ orderId: 'o-3', status: 'refunded' });
      expect(events.checks()).toEqual([
        "RefundBot allowed write:refunds in requireScope('write:refunds')",
        'RefundBot allowed write:refunds in RefundService.refund',
      ]);
    });

    it('passes errors that are not about permissions on to the next error handler', async () => {
      const res = await request(base).get('/boom').auth(desk.readerToken, { type: 'bearer' });

      expect(res.status).toBe(500);
      expect(res.body).toEqual({ unexpected: 'database unreachable' });
    });
  });

  describe('sessions', () => {
    it('opens one session per request and ends it once the response is finished', async () => {
      await request(base).get('/customers/c-1').auth(desk.readerToken, { type: 'bearer' });
      await delay(5);

      const lifecycle = events.events.filter((e) => e.action !== 'permission_check');
      expect(lifecycle.map((e) => `${e.action} ${e.agentName}`)).toEqual([
        'session_start SupportBot',
        'session_end SupportBot',
      ]);
      const check = events.events.find((e) => e.action === 'permission_check') as SudoEvent;
      expect(check.sessionId).toBe(lifecycle[0].sessionId);
      expect(lifecycle[1].sessionId).toBe(lifecycle[0].sessionId);
    });

    it('ends the session when the client hangs up before the response', async () => {
      const aborted = request(base).get('/slow').auth(desk.readerToken, { type: 'bearer' });
      setTimeout(() => aborted.abort(), 20);
      await aborted.catch(() => undefined);

      for (let i = 0; i < 50 && !events.events.some((e) => e.action === 'session_end'); i++) await delay(2);

      const lifecycle = events.events.map((e) => e.action);
      expect(lifecycle).toEqual(['session_start', 'session_end']);
    });

    it('keeps the agent across awaits, timers and nested @Sudo calls', async () => {
      const res = await request(base).get('/hops/5').auth(desk.refunderToken, { type: 'bearer' });

      expect(res.body).toEqual({
        agent: 'RefundBot',
        seen: ['RefundBot', 'RefundBot', 'RefundBot', 'RefundBot'],
      });
    });

    it('never lets one agent leak into another agent’s concurrent, interleaved requests', async () => {
      const calls = interleaved(40, (i, waitMs) => {
        const [name, token] = i % 2 ? ['RefundBot', desk.refunderToken] : ['SupportBot', desk.readerToken];
        return request(base)
          .get(`/hops/${waitMs}`)
          .auth(token, { type: 'bearer' })
          .then((res) => ({ expected: name, body: res.body }));
      });

      const results = await Promise.all(calls);

      for (const { expected, body } of results) {
        expect(body).toEqual({ agent: expected, seen: [expected, expected, expected, expected] });
      }
    });

    it('keeps the session when the JSON body arrives slowly, in pieces', async () => {
      const { app } = supportDeskApp({ agents: desk.registrations });
      app.post('/echo-agent', express.json(), (req, res) => {
        res.json({ agent: currentAgent()?.name, body: req.body });
      });
      // Routes registered after the error handlers still work: Express matches in order.
      const slow = createServer(app);
      const url = await listenLocal(slow);
      try {
        const req = request(url).post('/echo-agent').auth(desk.readerToken, { type: 'bearer' });
        req.set('Content-Type', 'application/json');
        const body = '{"orderId":"o-9"}';
        req.set('Content-Length', String(body.length));
        req.write(body.slice(0, 5));
        await delay(30);
        req.write(body.slice(5));
        const res = await req;
        expect(res.body).toEqual({ agent: 'SupportBot', body: { orderId: 'o-9' } });
      } finally {
        await closeServer(slow);
      }
    });

    it('reports clearly when a middleware between the session and the route loses the session', async () => {
      // A pool-like middleware that resumes requests from a timer created outside any session.
      const parked: Array<() => void> = [];
      const pump = setInterval(() => parked.splice(0).forEach((resume) => resume()), 5);
      const lossy = express();
      lossy.use(
        agentSudoMiddleware({
          agents: new AgentRegistry([{ agent: desk.refunder, token: desk.refunderToken }]),
        }),
      );
      lossy.use((_req, _res, next) => void parked.push(() => next()));
      lossy.post('/refunds', requireScope('write:refunds'), (_req, res) => res.json({ ok: true }));
      lossy.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).json({ unexpected: err.message });
      });
      const lossyServer = createServer(lossy);
      const url = await listenLocal(lossyServer);
      try {
        const res = await request(url).post('/refunds').auth(desk.refunderToken, { type: 'bearer' });
        expect(res.status).toBe(500);
        expect(res.body.unexpected).toMatch(
          /requireScope\('write:refunds'\): the agent session of this request was lost.*mount that middleware before/,
        );
      } finally {
        clearInterval(pump);
        await closeServer(lossyServer);
      }
    });
  });
});

describe('Express: custom resolveAgent', () => {
  const desk = supportDeskAgents();
  const registry = new AgentRegistry([{ agent: desk.reader }, { agent: desk.refunder }]);
  let server: Server;
  let base: string;
  let resolverCalls = 0;

  beforeAll(async () => {
    // Agents named by an API gateway that already authenticated them, looked up asynchronously.
    const { app } = supportDeskApp({
      agents: registry,
      resolveAgent: async (req, reg) => {
        resolverCalls++;
        await delay(1);
        const name = req.headers['x-gateway-agent'];
        if (name === 'explode') throw new Error('gateway lookup failed');
        return typeof name === 'string' ? reg.get(name) : undefined;
      },
    });
    server = createServer(app);
    base = await listenLocal(server);
  });
  afterAll(async () => {
    await closeServer(server);
    configure({ transports: [] });
  });
  beforeEach(() => captureEvents());

  it('runs the request as the agent the resolver returns', async () => {
    const res = await request(base).get('/whoami').set('X-Gateway-Agent', 'RefundBot');

    expect(res.body).toEqual({ fromRequest: 'RefundBot', fromSession: 'RefundBot' });
    expect(resolverCalls).toBeGreaterThan(0);
  });

  it('answers 401 when the resolver finds nobody', async () => {
    const res = await request(base).get('/whoami').set('X-Gateway-Agent', 'Stranger');

    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/resolveAgent returned none/);
  });

  it('passes a resolver failure to the app’s error handler', async () => {
    const res = await request(base).get('/whoami').set('X-Gateway-Agent', 'explode');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ unexpected: 'gateway lookup failed' });
  });
});

describe('Express: bad configuration', () => {
  it('names the bad option', () => {
    expect(() => agentSudoMiddleware({ resolveAgent: 'bearer' as never })).toThrow(
      /resolveAgent must be a function/,
    );
    expect(() => agentSudoMiddleware({ agents: [{ agent: {} as Agent, token: 'x'.repeat(20) }] })).toThrow(
      /agents\[0\]: agent must be an Agent/,
    );
    expect(() => requireScope()).toThrow(/name at least one scope/);
    expect(() => requireScope(' write:refunds')).toThrow(/leading or trailing white space/);
  });
});
