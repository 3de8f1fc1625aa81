import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Agent, type Transport } from '@agentsudo/core';
import { generateAgentToken } from '@agentsudo/nestjs';
import { CloudTransport } from '@agentsudo/transport-cloud';
import { ConsoleTransport } from '@agentsudo/transport-console';
import { SupportDeskModule } from './support-desk';

/**
 * Starts the support desk on 127.0.0.1 (an ephemeral port), calls it as two agents and
 * without a token, prints what happened, and exits.
 *
 * Events go to the console; set AGENTSUDO_API_KEY (and AGENTSUDO_ENDPOINT, default
 * http://127.0.0.1:4319) to send them to the AgentSudo dashboard as well.
 */
async function main(): Promise<void> {
  const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers', 'read:orders'] });
  const refundBot = new Agent({ name: 'RefundBot', scopes: ['read:*', 'write:refunds'] });
  // In production each agent gets its token once (generateAgentToken()) and the server
  // keeps it in a secret store; here both are made fresh for the run.
  const tokens = { SupportBot: generateAgentToken(), RefundBot: generateAgentToken() };

  const transports: Transport[] = [new ConsoleTransport({ level: 'debug' })];
  if (process.env.AGENTSUDO_API_KEY) transports.push(new CloudTransport());

  const app = await NestFactory.create(
    SupportDeskModule.register({
      agents: [
        { agent: supportBot, token: tokens.SupportBot },
        { agent: refundBot, token: tokens.RefundBot },
      ],
      transports,
    }),
    { logger: ['error', 'warn'] },
  );
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();

  async function call(as: keyof typeof tokens | 'nobody', method: string, path: string, body?: object) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (as !== 'nobody') headers.authorization = `Bearer ${tokens[as]}`;
    const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
    const mark = res.ok ? '✅' : '❌';
    console.log(`${mark} ${as.padEnd(10)} ${method} ${path} -> ${res.status} ${await res.text()}`);
  }

  try {
    await call('SupportBot', 'GET', '/customers/c-42');
    await call('SupportBot', 'POST', '/refunds', { orderId: 'o-7', amount: 120 });
    await call('RefundBot', 'POST', '/refunds', { orderId: 'o-7', amount: 120 });
    await call('nobody', 'GET', '/customers/c-42');
    await call('nobody', 'GET', '/health');
  } finally {
    // Closing the app flushes and closes the transports the module was given.
    await app.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
