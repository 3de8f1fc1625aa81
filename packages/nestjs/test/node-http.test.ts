import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import request from 'supertest';
import { configure, currentAgent, Sudo } from '@agentsudo/core';
import { agentSudoMiddleware, permissionErrorHandler, sendJson } from '../src/express';
import { captureEvents, closeServer, listenLocal, supportDeskAgents } from './support';

class OrderService {
  @Sudo('read:orders')
  list() {
    return [{ id: 'o-1', for: currentAgent()?.name }];
  }

  @Sudo('write:refunds')
  refund(id: string) {
    return { id, status: 'refunded' };
  }
}

describe('plain node:http, no framework', () => {
  const desk = supportDeskAgents();
  const orders = new OrderService();
  const admit = agentSudoMiddleware({ agents: desk.registrations });
  const onError = permissionErrorHandler();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const fail = (err: unknown) =>
        onError(err, req, res, () => sendJson(res, 500, { error: 'internal error' }));
      admit(req, res, (err) => {
        if (err) return fail(err);
        try {
          if (req.url === '/orders') sendJson(res, 200, orders.list());
          else if (req.url === '/refund') sendJson(res, 200, orders.refund('o-1'));
          else sendJson(res, 404, { error: 'not found' });
        } catch (e) {
          fail(e);
        }
      });
    });
    base = await listenLocal(server);
  });
  afterAll(async () => {
    await closeServer(server);
    configure({ transports: [] });
  });
  beforeEach(() => captureEvents());

  it('admits agents, allows what they hold and answers 401 and 403 as under Express', async () => {
    const allowed = await request(base).get('/orders').auth(desk.readerToken, { type: 'bearer' });
    const anonymous = await request(base).get('/orders');
    const denied = await request(base).get('/refund').auth(desk.readerToken, { type: 'bearer' });

    expect(allowed.body).toEqual([{ id: 'o-1', for: 'SupportBot' }]);
    expect(anonymous.status).toBe(401);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ scope: 'write:refunds', agent: 'SupportBot' });
  });
});

describe('the @agentsudo/nestjs/express entry', () => {
  const packageRoot = join(__dirname, '..');

  it('loads no @nestjs module, so Express users need not install NestJS', () => {
    if (!existsSync(join(packageRoot, 'dist', 'express.js'))) {
      throw new Error('packages/nestjs/dist is missing: run `npm run build` (npm test builds first).');
    }
    // Resolve the package by name, through its exports map, from a fresh process.
    const script = `
      const entry = require('@agentsudo/nestjs/express');
      const loaded = Object.keys(require.cache).filter((f) => f.includes('@nestjs'));
      process.stdout.write(JSON.stringify({ loaded, exports: Object.keys(entry).sort() }));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: packageRoot, encoding: 'utf8' }),
    );

    expect(out.loaded).toEqual([]);
    expect(out.exports).toEqual(
      expect.arrayContaining([
        'agentSudoMiddleware',
        'requireScope',
        'permissionErrorHandler',
        'AgentRegistry',
      ]),
    );
  });
});
