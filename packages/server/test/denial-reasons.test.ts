import { randomUUID } from 'node:crypto';
import { DENIAL_REASONS } from '@agentsudo/core';
import {
  MIGRATIONS,
  migrate,
  openStorage,
  PostgresDriver,
  SqliteDriver,
  type SqlDriver,
  type StorageOptions,
} from '../src';
import { backends, jsonOf, openLive, startServer, wire, type TestServer } from './helpers';

/*
 * Why a call was refused (`reason`) and the steps of an approval (`approval_id`,
 * `decided_by`, the actions approval_requested and approval_expired), from ingest to the
 * listing, the event, both exports, the filters, the live feed and the stats; and events
 * stored before these fields existed.
 */

const HOUR_MS = 3_600_000;
/** 2026-05-04T10:00:00Z, an hour boundary. */
const T0 = Date.UTC(2026, 4, 4, 10);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const RANGE = `from=${at(0)}&to=${at(120)}&bucket=hour`;
const NO_REASONS = Object.fromEntries(DENIAL_REASONS.map((r) => [r, 0]));

function driverFor(options: StorageOptions): SqlDriver {
  return options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db!);
}

describe.each(backends())('denial reasons and approval steps on $name', (backend) => {
  let t: TestServer;
  let options: StorageOptions;
  const ids = {
    budget: randomUUID(),
    python: 'python-has-no-id',
    oldSdk: randomUUID(),
    requested: randomUUID(),
    granted: randomUUID(),
    expired: randomUUID(),
  };

  beforeAll(async () => {
    options = await backend.fresh();
    t = await startServer(options);
    const res = await t.ingest([
      wire({
        event_id: ids.budget,
        scope: 'write:refunds',
        allowed: false,
        reason: 'budget',
        timestamp: at(1),
      }),
      // An older release of this SDK: a denial without a reason.
      wire({ event_id: ids.oldSdk, scope: 'write:refunds', allowed: false, timestamp: at(2) }),
      wire({
        event_id: ids.requested,
        action: 'approval_requested',
        scope: 'write:refunds',
        allowed: false,
        approval_id: 'apr_1',
        timestamp: at(3),
      }),
      wire({
        event_id: ids.granted,
        action: 'approval_granted',
        scope: 'write:refunds',
        allowed: true,
        approval_id: 'apr_1',
        decided_by: 'ops@example.com',
        timestamp: at(4),
      }),
      // Sent as allowed by mistake: an expired approval is a denial whatever it says.
      wire({
        event_id: ids.expired,
        action: 'approval_expired',
        scope: 'delete:users',
        allowed: true,
        reason: 'approval',
        approval_id: 'apr_2',
        timestamp: at(65),
      }),
      wire({ scope: 'read:customers', timestamp: at(66) }),
    ]);
    expect(res.status).toBe(200);
    // The original Python SDK: microseconds, no event_id, its own action name, no reason.
    const python = await t.ingest([
      {
        timestamp: `${at(67).slice(0, -1)}123Z`,
        agent_name: 'PyBot',
        action: 'permission_denied',
        scope: 'write:refunds',
        allowed: false,
        function_name: 'process_refund',
        metadata: {},
      },
    ]);
    expect(python.status).toBe(200);
  });
  afterAll(async () => {
    await t.server.close();
    await backend.cleanup();
  });

  const list = async (query: string) =>
    (await t.read(`/api/projects/${t.projectId}/events?${query}`)).body.events as Array<Record<string, any>>;

  test('an event says why it was refused and which approval it is a step of, in the listing and on its own', async () => {
    const events = await list('limit=100');
    const byId = (id: string) => events.find((e) => e.event_id === id)!;
    expect(byId(ids.budget)).toMatchObject({ allowed: false, reason: 'budget' });
    expect(byId(ids.requested)).toMatchObject({ action: 'approval_requested', approval_id: 'apr_1' });
    expect(byId(ids.granted)).toMatchObject({ approval_id: 'apr_1', decided_by: 'ops@example.com' });
    expect(byId(ids.expired)).toMatchObject({ action: 'approval_expired', reason: 'approval' });
    // Allowed checks and steps that refuse nothing carry no reason.
    expect('reason' in byId(ids.granted) || 'reason' in byId(ids.requested)).toBe(false);

    const one = await t.read(`/api/projects/${t.projectId}/events/${ids.granted}`);
    expect(one.body.event).toMatchObject({ approval_id: 'apr_1', decided_by: 'ops@example.com' });
  });

  test('a denial sent without a reason (older SDKs, the Python SDK) reads as scope, and is stored without one', async () => {
    const events = await list('limit=100');
    expect(events.find((e) => e.event_id === ids.oldSdk)).toMatchObject({ reason: 'scope' });
    expect(events.find((e) => e.agent_name === 'PyBot')).toMatchObject({
      action: 'permission_check',
      allowed: false,
      reason: 'scope',
    });
    const driver = driverFor(options);
    try {
      const rows = await driver.all<{ reason: string | null }>(
        'SELECT reason FROM events WHERE event_id = ? OR agent_name = ?',
        [ids.oldSdk, 'PyBot'],
      );
      expect(rows).toEqual([{ reason: null }, { reason: null }]);
    } finally {
      await driver.close();
    }
  });

  test('?reason= and ?approval_id= select the listing and the exports', async () => {
    expect((await list('reason=budget')).map((e) => e.event_id)).toEqual([ids.budget]);
    expect((await list('reason=scope')).map((e) => e.agent_name)).toEqual(['PyBot', 'SupportBot']);
    expect((await list('reason=approval')).map((e) => e.event_id)).toEqual([ids.expired]);
    expect(await list('reason=guardrail')).toEqual([]);
    expect((await list('approval_id=apr_1')).map((e) => e.event_id)).toEqual([ids.granted, ids.requested]);

    const auth = { headers: { authorization: `Bearer ${t.readToken}` } };
    const jsonl = await fetch(
      `${t.url}/api/projects/${t.projectId}/export?format=jsonl&approval_id=apr_1`,
      auth,
    );
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((e) => [e.action, e.approval_id, e.decided_by])).toEqual([
      ['approval_requested', 'apr_1', undefined],
      ['approval_granted', 'apr_1', 'ops@example.com'],
    ]);
    const csv = await fetch(`${t.url}/api/projects/${t.projectId}/export?format=csv&reason=budget`, auth);
    const [header, row] = (await csv.text()).split('\r\n');
    expect(header.split(',').slice(-3)).toEqual(['reason', 'approval_id', 'decided_by']);
    expect(row.split(',').slice(-3)).toEqual(['budget', '', '']);
  });

  test('the live feed filters by reason as the listing does', async () => {
    const auth = { authorization: `Bearer ${t.readToken}` };
    const guardrails = await openLive(`${t.url}/api/projects/${t.projectId}/live?reason=guardrail`, auth);
    const scopes = await openLive(`${t.url}/api/projects/${t.projectId}/live?reason=scope`, auth);
    try {
      await t.ingest([
        wire({ agent_name: 'Live', scope: 'write:x', allowed: false, reason: 'guardrail' }),
        wire({ agent_name: 'Live', scope: 'write:y', allowed: false }),
        wire({ agent_name: 'Live', scope: 'read:z' }),
      ]);
      const [g] = await guardrails.waitFor(1, 30_000);
      const [s] = await scopes.waitFor(1, 30_000);
      expect([g.scope, g.reason]).toEqual(['write:x', 'guardrail']);
      expect([s.scope, s.reason]).toEqual(['write:y', 'scope']);
    } finally {
      guardrails.close();
      scopes.close();
    }
  });

  test('stats count an expired approval as a denial, leave a request out, and break denials down by reason', async () => {
    const { body } = await t.read(`/api/projects/${t.projectId}/stats?${RANGE}`);
    // budget, old SDK, expired, Python: 4 denials; granted and the read: 2 allowed; the request is not a check.
    expect(body.totals).toMatchObject({ events: 6, allowed: 2, denied: 4 });
    expect(body.reasons).toEqual({ ...NO_REASONS, scope: 2, budget: 1, approval: 1 });
    expect(body.buckets.map((b: any) => b.reasons)).toEqual([
      { ...NO_REASONS, scope: 1, budget: 1 },
      { ...NO_REASONS, scope: 1, approval: 1 },
    ]);
    // A range that cuts hours reads the partial hours from the events: the same split.
    const partial = await t.read(`/api/projects/${t.projectId}/stats?from=${at(2)}&to=${at(66)}&bucket=hour`);
    expect(partial.body.reasons).toEqual({ ...NO_REASONS, scope: 1, approval: 1 });
    const minutes = await t.read(`/api/projects/${t.projectId}/stats?from=${at(0)}&to=${at(5)}`);
    expect(minutes.body.bucket).toBe('minute');
    expect(minutes.body.reasons).toEqual({ ...NO_REASONS, scope: 1, budget: 1 });
    expect(minutes.body.buckets[1].reasons).toEqual({ ...NO_REASONS, budget: 1 });
    expect((await list('outcome=info')).map((e) => e.action)).toEqual(['approval_requested']);
    expect((await list('outcome=denied&approval_id=apr_2')).map((e) => e.event_id)).toEqual([ids.expired]);
  });

  test.each([
    [
      'a reason outside the list',
      'reason',
      'quota',
      /events\[0\]\.reason.*"quota".*scope, condition, rate_limit, budget, guardrail, approval/,
    ],
    ['a reason in the wrong case', 'reason', 'Scope', /events\[0\]\.reason.*"Scope"/],
    ['an approval id of 257 characters', 'approval_id', 'a'.repeat(257), /events\[0\]\.approval_id/],
    ['an empty approval id', 'approval_id', '', /events\[0\]\.approval_id/],
    ['a decider that is not text', 'decided_by', 42, /events\[0\]\.decided_by/],
  ])('ingest answers 400 to %s, naming the field', async (_label, field, value, message) => {
    const res = await t.ingest([wire({ allowed: false, [field]: value })]);
    expect(res.status).toBe(400);
    const body = await jsonOf<{ error: string; message: string; field: string }>(res);
    expect(body.field).toBe(`events[0].${field}`);
    expect(body.message).toMatch(message);
  });

  test('a bad ?reason= is a 400 naming the value and the reasons there are', async () => {
    for (const path of ['events', 'export', 'live']) {
      const { status, body } = await t.read(`/api/projects/${t.projectId}/${path}?reason=quota`);
      expect(status).toBe(400);
      expect(body.field).toBe('reason');
      expect(body.message).toContain('reason="quota"');
      expect(body.message).toContain(DENIAL_REASONS.join(', '));
    }
  });
});

describe.each(backends())('migration 4 on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('a database with events from before it keeps them readable, and counts their denials as scope', async () => {
    const options = await backend.fresh();
    const old = driverFor(options);
    expect(await migrate(old, MIGRATIONS.slice(0, 3))).toEqual([1, 2, 3]);
    const ts = (minutes: number) => (T0 + minutes * 60_000) * 1000;
    const hour = Math.floor(T0 / HOUR_MS);
    // What the release before stored: events without the new columns, and their rollups.
    await old.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', ['prj_old', 'old', 1]);
    for (const [id, minutes, allowed] of [
      ['e1', 1, 1],
      ['e2', 2, 0],
      ['e3', 3, 0],
    ] as const)
      await old.run(
        `INSERT INTO events (project_id, event_id, ts, agent_name, action, scope, allowed, received_at)
         VALUES ('prj_old', ?, ?, 'OldBot', 'permission_check', 'write:refunds', ?, ?)`,
        [id, ts(minutes), allowed, ts(minutes)],
      );
    await old.run(
      `INSERT INTO hourly_agent_counts (project_id, hour, agent_name, allowed_n, denied_n, audit_n)
       VALUES ('prj_old', ?, 'OldBot', 1, 2, 0)`,
      [hour],
    );
    await old.close();

    const storage = await openStorage(options);
    try {
      const { events } = await storage.events.list('prj_old', {}, { limit: 10 });
      expect(events.map((e) => [e.eventId, e.allowed, e.reason])).toEqual([
        ['e3', false, undefined],
        ['e2', false, undefined],
        ['e1', true, undefined],
      ]);
      expect((await storage.events.list('prj_old', { reason: 'scope' }, { limit: 10 })).events).toHaveLength(
        2,
      );
      // A new denial with a reason joins the same hour's rollups.
      await storage.writer.insert('prj_old', [
        {
          eventId: 'e4',
          ts: ts(4),
          agentName: 'OldBot',
          action: 'permission_check',
          allowed: false,
          reason: 'budget',
        },
      ]);
      const range = { from: T0 * 1000, to: (T0 + 2 * HOUR_MS) * 1000, bucket: 'hour' as const };
      const stats = await storage.stats.summary('prj_old', range);
      expect(stats.totals).toMatchObject({ allowed: 1, denied: 3 });
      expect(stats.reasons).toEqual({ ...NO_REASONS, scope: 2, budget: 1 });
      expect(stats.buckets[0].reasons).toEqual({ ...NO_REASONS, scope: 2, budget: 1 });
    } finally {
      await storage.close();
    }
  }, 60_000);
});
