import { createEvent, toWire } from '@agentsudo/core';
import { gzipSync } from 'node:zlib';
import { MAX_BATCH_EVENTS } from '../src';
import { backends, startServer, wire, type TestServer, jsonOf } from './helpers';

describe.each(backends())('POST /api/events on $name', (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer(await backend.fresh());
  });
  afterAll(async () => {
    await t.server.close();
    await backend.cleanup();
  });

  const count = async () =>
    (await t.read(`/api/projects/${t.projectId}/events?limit=1000`)).body.events.length;

  test("this SDK's events, as core's toWire writes them, are accepted and read back unchanged", async () => {
    const event = createEvent({
      agentName: 'SupportBot',
      agentId: 'a-1',
      role: 'support',
      sessionId: 's-1',
      action: 'permission_check',
      scope: 'read:customers',
      allowed: true,
      functionName: 'CustomerService.getCustomer',
      metadata: { team: 'billing' },
    });
    const res = await t.ingest([toWire(event)]);
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toEqual({ accepted: 1, duplicates: 0 });
    const { body } = await t.read(`/api/projects/${t.projectId}/events?agent=SupportBot&session=s-1`);
    expect(body.events[0]).toMatchObject(toWire(event));
  });

  test("the original Python SDK's events are accepted unchanged: ids assigned, microseconds kept, actions mapped", async () => {
    const python = [
      {
        timestamp: '2026-11-26T12:53:24.156322Z',
        agent_name: 'PyBot',
        action: 'permission_check',
        scope: 'read:orders',
        allowed: true,
        function_name: 'get_order',
        metadata: { env: 'prod' },
      },
      {
        timestamp: '2026-11-26T12:53:25.000001',
        agent_name: 'PyBot',
        action: 'permission_denied',
        scope: 'write:refunds',
        allowed: false,
        function_name: 'refund',
      },
      {
        timestamp: '2026-11-26T12:53:26.5Z',
        agent_name: 'PyBot',
        action: 'callback_approved',
        scope: 'write:refunds',
        allowed: true,
      },
      {
        timestamp: '2026-11-26T12:53:27Z',
        agent_name: 'PyBot',
        action: 'callback_denied',
        scope: 'write:refunds',
        allowed: false,
        function_name: null,
      },
      {
        timestamp: '2026-11-26T12:53:28Z',
        agent_name: 'PyBot',
        action: 'audit_violation',
        scope: 'delete:users',
        allowed: true,
      },
    ];
    const res = await t.ingest(python);
    expect(await jsonOf(res)).toEqual({ accepted: 5, duplicates: 0 });
    const { body } = await t.read(`/api/projects/${t.projectId}/events?agent=PyBot`);
    const got = body.events.reverse();
    expect(got.map((e: any) => [e.timestamp, e.action, e.allowed])).toEqual([
      ['2026-11-26T12:53:24.156322Z', 'permission_check', true],
      ['2026-11-26T12:53:25.000001Z', 'permission_check', false],
      ['2026-11-26T12:53:26.500Z', 'approval_granted', true],
      ['2026-11-26T12:53:27.000Z', 'approval_denied', false],
      ['2026-11-26T12:53:28.000Z', 'audit_violation', true],
    ]);
    for (const e of got) expect(e.event_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('one event object (not in an array) is a batch of one', async () => {
    const res = await t.ingest(wire({ agent_name: 'Single' }));
    expect(await jsonOf(res)).toEqual({ accepted: 1, duplicates: 0 });
  });

  test('a gzip body is decompressed', async () => {
    const events = Array.from({ length: 50 }, () => wire({ agent_name: 'Gzipped' }));
    const res = await t.ingest(gzipSync(JSON.stringify(events)), { 'content-encoding': 'gzip' });
    expect(await jsonOf(res)).toEqual({ accepted: 50, duplicates: 0 });
  });

  test('a retried batch is stored once and reported as duplicates', async () => {
    const batch = [wire(), wire()];
    await t.ingest(batch);
    const res = await t.ingest(batch);
    expect(await jsonOf(res)).toEqual({ accepted: 0, duplicates: 2 });
  });

  test('a wrong field gets 400 naming it, and the whole batch is rejected', async () => {
    const before = await count();
    const res = await t.ingest([wire(), wire(), wire({ allowed: 'yes' })]);
    expect(res.status).toBe(400);
    expect(await jsonOf(res)).toMatchObject({ error: 'invalid_body', field: 'events[2].allowed' });
    expect(await count()).toBe(before);
  });

  test('an agent name and scope at their limits are stored with their rollups; a byte over is a 400 naming it', async () => {
    // Three-byte characters at the character limits: the most bytes the rollup keys hold.
    const agent = '語'.repeat(256);
    const scope = '語'.repeat(512);
    const ok = await t.ingest([wire({ agent_name: agent, scope, allowed: false })]);
    expect(ok.status).toBe(200);
    expect(await jsonOf(ok)).toMatchObject({ accepted: 1 });
    const stats = await t.read(`/api/projects/${t.projectId}/stats`);
    expect(stats.body.top_denied_scopes).toEqual([{ scope, denied: 1 }]);
    // Emoji take four bytes each: within the character limits, over the byte ones.
    const before = await count();
    for (const [field, overrides] of [
      ['agent_name', { agent_name: '🤖'.repeat(200) }],
      ['scope', { scope: '🔑'.repeat(400) }],
    ] as const) {
      const res = await t.ingest([wire(), wire(overrides)]);
      expect(res.status).toBe(400);
      const body = await jsonOf(res);
      expect(body).toMatchObject({ error: 'invalid_event', field: `events[1].${field}` });
      expect(body.message).toMatch(/over the \d+ it may take/);
    }
    expect(await count()).toBe(before);
  });

  test('a bad timestamp gets 400 naming it and stores nothing', async () => {
    const before = await count();
    const res = await t.ingest([wire(), wire({ timestamp: 'yesterday' })]);
    expect(res.status).toBe(400);
    expect(await jsonOf(res)).toMatchObject({ field: 'events[1].timestamp' });
    expect(await count()).toBe(before);
  });

  test(`a batch over ${MAX_BATCH_EVENTS} events gets 400 saying to split it`, async () => {
    const res = await t.ingest(Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => ({ a: 1 })));
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).message).toMatch(/at most 1000 events/);
  });

  test('a body over 1 MiB gets 413, compressed or not', async () => {
    const big = JSON.stringify([wire({ metadata: { pad: 'x'.repeat(1024 * 1024) } })]);
    expect((await t.ingest(big)).status).toBe(413);
    // Small on the wire, over the limit once inflated: still refused.
    const bomb = gzipSync(JSON.stringify([wire({ metadata: { pad: '0'.repeat(4 * 1024 * 1024) } })]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await t.ingest(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await jsonOf(res)).error).toBe('body_too_large');
  });

  test('no key, an unknown key or a revoked key gets 401; a read token may not write (403)', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${t.url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '[]',
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-api-key': 'as_notakey' })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${t.apiKey}` })).status).toBe(200);
    expect((await post({ 'x-api-key': t.readToken })).status).toBe(403);
    const { project, apiKey } = await t.server.admin.createProject(`revoked-${backend.name}`);
    expect((await post({ 'x-api-key': apiKey })).status).toBe(200);
    await t.server.admin.revokeKey(apiKey.slice(0, 12));
    expect((await post({ 'x-api-key': apiKey })).status).toBe(401);
    expect(project.name).toBe(`revoked-${backend.name}`);
  });

  test("project A's key writes only into A, and A's token reads only A", async () => {
    const b = await t.server.admin.createProject(`project-b-${backend.name}`);
    const bToken = (await t.server.admin.createReadToken(b.project.id)).token;
    const res = await fetch(`${t.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': b.apiKey },
      body: JSON.stringify([wire({ agent_name: 'OnlyInB' })]),
    });
    expect(res.status).toBe(200);
    expect((await t.read(`/api/projects/${t.projectId}/events?agent=OnlyInB`)).body.events).toEqual([]);
    const asB = (path: string) =>
      fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${bToken}` } });
    expect((await jsonOf(await asB(`/api/projects/${b.project.id}/events`))).events).toHaveLength(1);
    expect((await asB(`/api/projects/${t.projectId}/events`)).status).toBe(404);
  });

  test('concurrent clients sending overlapping batches: every event stored once, rollups agree', async () => {
    const shared = Array.from({ length: 200 }, () =>
      wire({ agent_name: 'Concurrent', timestamp: '2026-05-05T05:05:05.000Z' }),
    );
    const answers: Array<{ accepted: number; duplicates: number }> = [];
    // 4 clients × 10 batches of 40: each batch mixes 20 own events and 20 of the shared pool,
    // so the same event arrives from several clients at once.
    await Promise.all(
      Array.from({ length: 4 }, async (_, client) => {
        for (let i = 0; i < 10; i++) {
          const own = Array.from({ length: 20 }, () =>
            wire({ agent_name: 'Concurrent', timestamp: '2026-05-05T05:05:05.000Z' }),
          );
          const start = ((client * 10 + i) * 20) % shared.length;
          const res = await t.ingest([...own, ...shared.slice(start, start + 20)]);
          expect(res.status).toBe(200);
          answers.push(await jsonOf(res));
        }
      }),
    );
    const accepted = answers.reduce((n, a) => n + a.accepted, 0);
    expect(accepted).toBe(4 * 10 * 20 + shared.length);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(4 * 10 * 40 - accepted);
    const stats = await t.read(
      `/api/projects/${t.projectId}/stats?from=2026-05-05T00:00:00Z&to=2026-05-06T00:00:00Z&bucket=hour`,
    );
    expect(stats.body.totals.events).toBe(accepted);
    const exported = await fetch(`${t.url}/api/projects/${t.projectId}/export?agent=Concurrent`, {
      headers: { authorization: `Bearer ${t.readToken}` },
    });
    expect((await exported.text()).trim().split('\n')).toHaveLength(accepted);
  });
});
