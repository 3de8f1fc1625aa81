import { Agent, PermissionError, configure, createEvent, sudo, type SudoEvent } from '@agentsudo/core';
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

  test('events the server refuses cost only themselves: the rest of their batch is stored', async () => {
    const t = await startServer(await backend.fresh());
    const transport = new CloudTransport({
      apiKey: t.apiKey,
      endpoint: t.url,
      spoolDir: false,
      batchSize: 100,
    });
    try {
      const event = (i: number, extra: Partial<SudoEvent> = {}) =>
        createEvent({
          agentName: 'Batch',
          action: 'permission_check',
          allowed: true,
          scope: `read:item-${i}`,
          ...extra,
        });
      for (let i = 0; i < 100; i++) {
        if (i === 10) transport.log(event(i, { metadata: { notes: 'x'.repeat(20 * 1024) } }));
        else if (i === 60) transport.log(event(i, { scope: `read:${'y'.repeat(600)}` }));
        else transport.log(event(i));
      }
      expect(await transport.flush(10_000)).toBe(true);
      expect(transport.stats()).toMatchObject({ sent: 98, dropped: { rejected: 2 } });
      const { body } = await t.read(`/api/projects/${t.projectId}/events?agent=Batch&limit=1000`);
      expect(body.events).toHaveLength(98);
      expect(body.events.map((e: any) => e.scope)).not.toContain('read:item-10');
    } finally {
      await transport.close();
      await t.server.close();
    }
  });
});
