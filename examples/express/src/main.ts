import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Agent, configure, currentAgent, shutdown, Sudo } from '@agentsudo/core';
import {
  agentSudoMiddleware,
  generateAgentToken,
  permissionErrorHandler,
  requireScope,
} from '@agentsudo/nestjs/express';
import { ConsoleTransport } from '@agentsudo/transport-console';

/** The tools agents call; `@Sudo` guards them wherever they are called from. */
class OrderService {
  @Sudo('read:orders')
  async getOrder(id: string) {
    return { id, total: 120, customer: 'c-42' };
  }

  @Sudo('write:refunds')
  async processRefund(orderId: string, amount: number) {
    return { orderId, amount, status: 'refunded', by: currentAgent()?.name };
  }
}

/**
 * Starts an Express app on 127.0.0.1 (an ephemeral port), calls it as two agents and
 * without a token, prints what happened, and exits.
 */
async function main(): Promise<void> {
  configure({ transports: [new ConsoleTransport({ level: 'debug' })] });

  const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
  const refundBot = new Agent({ name: 'RefundBot', scopes: ['read:*', 'write:refunds'] });
  const tokens = { SupportBot: generateAgentToken(), RefundBot: generateAgentToken() };
  const orders = new OrderService();

  const app = express();
  app.use(express.json());
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(
    agentSudoMiddleware({
      agents: [
        { agent: supportBot, token: tokens.SupportBot },
        { agent: refundBot, token: tokens.RefundBot },
      ],
    }),
  );
  app.get('/orders/:id', async (req, res) => {
    res.json(await orders.getOrder(req.params.id));
  });
  app.post('/refunds', requireScope('write:refunds'), async (req, res) => {
    res.status(201).json(await orders.processRefund(req.body.orderId, req.body.amount));
  });
  // Tries the refund with no route-level check: the service's @Sudo refuses it.
  app.post('/orders/:id/cancel', async (req, res) => {
    const order = await orders.getOrder(req.params.id);
    res.json(await orders.processRefund(order.id, order.total));
  });
  app.use(permissionErrorHandler());

  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function call(as: keyof typeof tokens | 'nobody', method: string, path: string, body?: object) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (as !== 'nobody') headers.authorization = `Bearer ${tokens[as]}`;
    const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
    const mark = res.ok ? '✅' : '❌';
    console.log(`${mark} ${as.padEnd(10)} ${method} ${path} -> ${res.status} ${await res.text()}`);
  }

  try {
    await call('SupportBot', 'GET', '/orders/o-7');
    await call('SupportBot', 'POST', '/refunds', { orderId: 'o-7', amount: 120 });
    await call('SupportBot', 'POST', '/orders/o-7/cancel');
    await call('RefundBot', 'POST', '/refunds', { orderId: 'o-7', amount: 120 });
    await call('nobody', 'GET', '/orders/o-7');
    await call('nobody', 'GET', '/health');
  } finally {
    server.closeAllConnections();
    server.close();
    await shutdown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
