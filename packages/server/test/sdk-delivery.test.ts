import { Agent, PermissionError, configure, sudo } from '@agentsudo/core';
import { CloudTransport } from '@agentsudo/transport-cloud';
import { backends, startServer } from './helpers';

describe.each(backends())('the SDK delivering to the server on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test("checks made by agents arrive through the cloud transport, allowed and denied, with the SDK's fields", async () => {
    const t = await startServer(await backend.fresh());
    const transport = new CloudTransport({
      apiKey: t.apiKey,
      endpoint: t.url,
      spoolDir: false,
      flushIntervalMs: 50,
    });
    configure({ transports: [transport] });
    try {
      const lookup = sudo('read:customers', (id: string) => ({ id }));
      const refund = sudo('write:refunds', (orderId: string) => orderId);
      const bot = new Agent({
        name: 'SupportBot',
        scopes: ['read:customers'],
        role: 'support',
        metadata: { team: 'cx' },
      });
      bot.startSession(() => {
        lookup('c-1');
        expect(() => refund('o-1')).toThrow(PermissionError);
      });
      await transport.flush(10_000);
      const { body } = await t.read(
        `/api/projects/${t.projectId}/events?agent=SupportBot&action=permission_check`,
      );
      const checks = body.events.reverse();
      expect(checks.map((e: any) => [e.scope, e.allowed])).toEqual([
        ['read:customers', true],
        ['write:refunds', false],
      ]);
      expect(checks[0]).toMatchObject({
        role: 'support',
        metadata: { team: 'cx' },
        sdk: expect.stringMatching(/^agentsudo-js\//),
      });
      expect(checks[0].session_id).toBe(checks[1].session_id);
    } finally {
      await transport.close();
      configure({ transports: [] });
      await t.server.close();
    }
  });
});
