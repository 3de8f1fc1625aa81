import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Agent } from '@agentsudo/core';
import { agentSudoMiddleware } from '../src/express';
import { AgentRegistry, AgentSudoModule, MissingAgentCredentialError } from '../src';
import { supportDeskControllers, supportDeskProviders } from './fixtures/support-desk';
import { PLATFORMS, RecordingLogger, startApp } from './nest-app';
import { supportDeskAgents } from './support';

/** The error an app failed to start with; an app that started anyway is closed, and undefined returned. */
async function startFailure(start: Promise<INestApplication>): Promise<unknown> {
  return start.then(
    (app) => app.close().then(() => undefined),
    (err: unknown) => err,
  );
}

describe.each(PLATFORMS)('fail fast, on the %s platform', (platform) => {
  it('refuses to start when an agent’s token variable is unset, naming the agent and the variable', async () => {
    const desk = supportDeskAgents();
    const env: Record<string, string | undefined> = { REFUND_BOT_TOKEN: desk.refunderToken };

    const start = startApp(platform, {
      imports: [
        AgentSudoModule.forRoot({
          agents: [
            { agent: desk.refunder, token: env.REFUND_BOT_TOKEN },
            { agent: desk.reader, token: env.SUPPORT_BOT_TOKEN },
          ],
        }),
      ],
      controllers: supportDeskControllers,
      providers: supportDeskProviders,
    });

    const failure = await startFailure(start);
    expect(failure).toBeInstanceOf(MissingAgentCredentialError);
    expect(failure).toMatchObject({ agentName: 'SupportBot', variable: 'SUPPORT_BOT_TOKEN' });
    expect(String(failure)).toMatch(
      /agent 'SupportBot' \(agents\[1\]\) has no credential.*such as SUPPORT_BOT_TOKEN/,
    );
  });

  it('starts with agents that have no token when resolveAgent finds them', async () => {
    const desk = supportDeskAgents();
    const app = await startApp(platform, {
      imports: [
        AgentSudoModule.forRoot({
          agents: [{ agent: desk.reader }],
          resolveAgent: (req, registry) => registry.get(String(req.headers['x-gateway-agent'])),
        }),
      ],
      controllers: supportDeskControllers,
      providers: supportDeskProviders,
    });
    try {
      const res = await request(app.getHttpServer()).get('/me').set('X-Gateway-Agent', 'SupportBot');

      expect(res.body.name).toBe('SupportBot');
    } finally {
      await app.close();
    }
  });

  it('warns at startup when forRoot() registers no agents', async () => {
    const logger = new RecordingLogger();
    const app = await startApp(platform, {
      imports: [AgentSudoModule.forRoot()],
      controllers: supportDeskControllers,
      providers: supportDeskProviders,
      logger,
    });
    await app.close();

    expect(logger.at('warn')).toEqual([expect.stringMatching(/No agents are registered/)]);
  });
});

describe('fail fast, outside Nest', () => {
  it('refuses an Express middleware whose registry holds an agent without a token', () => {
    const registry = new AgentRegistry([{ agent: new Agent({ name: 'gateway-bot', scopes: [] }) }]);

    expect(() => agentSudoMiddleware({ agents: registry })).toThrow(
      /agentSudoMiddleware\(options\): agent 'gateway-bot' \(agents\[0\]\) has no credential.*GATEWAY_BOT_TOKEN/,
    );
  });
});
