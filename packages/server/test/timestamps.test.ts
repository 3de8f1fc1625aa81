import { join } from 'node:path';
import { backends, startServer, tempDir, wire, type TestServer, jsonOf } from './helpers';

const dir = tempDir();
let t: TestServer;
beforeAll(async () => {
  t = await startServer({ db: join(dir.dir, 'timestamps.db') });
});
afterAll(async () => {
  await t.server.close();
  dir.remove();
});

describe('event timestamps are RFC 3339 date-times', () => {
  test.each([
    '2026-01-01 12:00:00',
    'Jan 1 2026 12:00',
    'x 2026-01-01',
    '2026-02-30T00:00:00Z',
    '2026-01-01',
    '2026-01-01T12:00:00+0200',
  ])('%j is refused with 400, the value named and a good one shown', async (timestamp) => {
    const res = await t.ingest([wire({ timestamp })]);
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body).toMatchObject({ error: 'invalid_event', field: 'events[0].timestamp' });
    expect(body.message).toContain(JSON.stringify(timestamp));
    expect(body.message).toContain('2026-01-01T12:00:00.000Z');
  });

  test("the Python SDK's microseconds, offsets and zone-less UTC are accepted", async () => {
    const sent = [
      wire({ agent_name: 'Py', timestamp: '2026-11-26T12:53:24.156322Z' }),
      wire({ agent_name: 'Offset', timestamp: '2026-11-26T14:00:00+02:00' }),
      wire({ agent_name: 'Zoneless', timestamp: '2026-11-26T12:30:00' }),
    ];
    expect((await t.ingest(sent)).status).toBe(200);
    const { body } = await t.read(`/api/projects/${t.projectId}/events?from=2026-11-26&to=2026-11-27`);
    const byAgent = Object.fromEntries(body.events.map((e: any) => [e.agent_name, e.timestamp]));
    expect(byAgent).toEqual({
      Py: '2026-11-26T12:53:24.156322Z',
      Offset: '2026-11-26T12:00:00.000Z',
      Zoneless: '2026-11-26T12:30:00.000Z',
    });
  });
});

describe('from and to take an RFC 3339 time or a date (its midnight UTC)', () => {
  test('a date alone bounds the range at midnight UTC; to is exclusive', async () => {
    await t.ingest([
      wire({ agent_name: 'Edge', timestamp: '2026-05-01T23:59:59.999Z' }),
      wire({ agent_name: 'Edge', timestamp: '2026-05-02T00:00:00Z' }),
    ]);
    const { status, body } = await t.read(
      `/api/projects/${t.projectId}/events?agent=Edge&from=2026-05-01&to=2026-05-02`,
    );
    expect(status).toBe(200);
    expect(body.events.map((e: any) => e.timestamp)).toEqual(['2026-05-01T23:59:59.999Z']);
  });

  test.each(['2026-01-01 12:00:00', 'Jan 1 2026', 'x 2026-01-01', '2026-02-30', '2026-02-30T00:00:00Z'])(
    'from=%j answers 400 naming the value and showing good ones',
    async (from) => {
      for (const path of ['events', 'stats', 'export']) {
        const { status, body } = await t.read(
          `/api/projects/${t.projectId}/${path}?from=${encodeURIComponent(from)}`,
        );
        expect([status, body.error, body.field]).toEqual([400, 'invalid_query', 'from']);
        expect(body.message).toContain(`from=${JSON.stringify(from)}`);
        expect(body.message).toContain('2026-01-01T12:00:00Z');
      }
    },
  );
});

const HOUR_MS = 3_600_000;
const hoursAhead = (hours: number) => new Date(Date.now() + hours * HOUR_MS).toISOString();

describe.each(backends())(
  "events are dated from 1970 to 24 hours past the server's clock, on $name",
  (backend) => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startServer(await backend.fresh());
    });
    afterAll(async () => {
      await t.server.close();
      await backend.cleanup();
    });

    test.each([
      ['25 hours ahead', () => hoursAhead(25)],
      ['on the last day of 9999', () => '9999-12-31T23:59:59Z'],
    ])(
      "an event dated %s is refused with 400 naming it, the server's time and what to do; none of its batch is stored",
      async (_when, timestamp) => {
        const late = timestamp();
        const batch = [wire(), wire(), wire(), wire({ agent_name: 'Ahead', timestamp: late })];
        const before = Date.now();
        const res = await t.ingest(batch);
        const after = Date.now();
        expect(res.status).toBe(400);
        const body = await jsonOf(res);
        expect(body).toMatchObject({ error: 'invalid_event', field: 'events[3].timestamp' });
        expect(body.message).toContain(`events[3].timestamp: ${JSON.stringify(late)}`);
        expect(body.message).toContain('more than 24 hours ahead');
        expect(body.message).toContain('check the clock of the machine that sent it');
        const serverTime = Date.parse(/server's time \(([^)]+)\)/.exec(body.message)![1]);
        expect(serverTime).toBeGreaterThanOrEqual(before);
        expect(serverTime).toBeLessThanOrEqual(after);
        for (const e of batch) {
          const { status } = await t.read(`/api/projects/${t.projectId}/events/${e.event_id}`);
          expect(status).toBe(404);
        }
      },
    );

    test.each([
      ['23 hours ahead', () => hoursAhead(23)],
      [
        'at the start of 1970 (a spooled event sent late is never refused for its age)',
        () => '1970-01-01T00:00:00.000Z',
      ],
    ])('an event dated %s is stored and read back', async (_when, timestamp) => {
      const sent = wire({ agent_name: 'InRange', timestamp: timestamp() });
      const res = await t.ingest([sent]);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
      const { status, body } = await t.read(`/api/projects/${t.projectId}/events/${sent.event_id}`);
      expect(status).toBe(200);
      expect(body.event.timestamp).toBe(sent.timestamp);
    });
  },
);

describe('times run to the end of 9999, offsets included', () => {
  test('a time an offset carries past 9999 is refused with 400 everywhere, naming the value', async () => {
    const late = '9999-12-31T23:30:00-01:00';
    const res = await t.ingest([wire({ timestamp: late })]);
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).message).toContain(JSON.stringify(late));
    for (const path of ['events', 'stats', 'export']) {
      for (const query of [`to=${encodeURIComponent(late)}`, `from=${encodeURIComponent(late)}`]) {
        const { status, body } = await t.read(`/api/projects/${t.projectId}/${path}?${query}`);
        expect([path, status, body.error]).toEqual([path, 400, 'invalid_query']);
        expect(body.message).toContain(JSON.stringify(late));
        expect(body.message).toContain('from 1970 to 9999');
      }
    }
  });
});
