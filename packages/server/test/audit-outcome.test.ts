import { randomUUID } from 'node:crypto';
import { Agent, PermissionError, configure, sudo } from '@agentsudo/core';
import { CloudTransport } from '@agentsudo/transport-cloud';
import {
  MIGRATIONS,
  migrate,
  openStorage,
  PostgresDriver,
  SqliteDriver,
  type EventRecord,
  type SqlDriver,
  type Storage,
} from '../src';
import { backends, startServer } from './helpers';

const HOUR = 3_600_000_000;
/** 2026-03-01T00:00:00Z in µs, an hour boundary. */
const T0 = Date.UTC(2026, 2, 1) * 1000;

function event(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    eventId: randomUUID(),
    ts: T0,
    agentName: 'SupportBot',
    action: 'permission_check',
    scope: 'read:customers',
    allowed: true,
    ...overrides,
  };
}

/** An audit-mode violation as the SDK sends it: the call ran, `allowed` is false. */
const audit = (overrides: Partial<EventRecord> = {}) =>
  event({ action: 'audit_violation', allowed: false, scope: 'export:ledger', ...overrides });

/**
 * One project's traffic over three hours: whole hours come from the rollups, the partial
 * hours at the edges of the ranges below from the events.
 */
const TRAFFIC: EventRecord[] = [
  event({ agentName: 'LedgerBot', action: 'session_start', scope: undefined, ts: T0 + 1 }),
  event({ agentName: 'LedgerBot', ts: T0 + 10 }),
  event({ agentName: 'LedgerBot', allowed: false, scope: 'write:ledger', ts: T0 + 20 }),
  audit({ agentName: 'LedgerBot', ts: T0 + 30 }),
  audit({ agentName: 'LedgerBot', ts: T0 + HOUR + 5 }),
  audit({ agentName: 'Auditor', ts: T0 + HOUR + 6 }),
  audit({ agentName: 'Auditor', ts: T0 + HOUR + 7, scope: 'delete:ledger' }),
  // The Python SDK's audit_violation may say allowed: true; it is still audit, not allowed.
  audit({ agentName: 'Auditor', ts: T0 + 2 * HOUR + 1, allowed: true }),
  event({ agentName: 'LedgerBot', allowed: false, scope: 'write:ledger', ts: T0 + 2 * HOUR + 2 }),
  event({ agentName: 'LedgerBot', action: 'session_end', scope: undefined, ts: T0 + 2 * HOUR + 3 }),
];

/** What every reading of TRAFFIC must say, however the range splits into rollups and edges. */
async function expectTrafficCounted(storage: Storage, projectId: string): Promise<void> {
  const ranges = [
    { from: T0, to: T0 + 3 * HOUR }, // whole hours: rollups only
    { from: T0 + 2, to: T0 + 2 * HOUR + 10 }, // partial hours at both edges
  ];
  for (const range of ranges) {
    const s = await storage.stats.summary(projectId, { ...range, bucket: 'hour' });
    expect(s.totals).toEqual({ events: 8, allowed: 1, denied: 2, audit: 5 });
    expect(s.agents).toEqual([
      { agentName: 'LedgerBot', events: 5, allowed: 1, denied: 2, audit: 2 },
      { agentName: 'Auditor', events: 3, allowed: 0, denied: 0, audit: 3 },
    ]);
    expect(s.buckets.map((b) => [b.allowed, b.denied, b.audit])).toEqual([
      [1, 1, 1],
      [0, 0, 3],
      [0, 1, 1],
    ]);
    expect(s.topDeniedScopes).toEqual([{ scope: 'write:ledger', denied: 2 }]);
    expect(s.topAuditScopes).toEqual([
      { scope: 'export:ledger', audit: 4 },
      { scope: 'delete:ledger', audit: 1 },
    ]);
  }
  const minutes = await storage.stats.summary(projectId, {
    from: T0,
    to: T0 + 5 * 60_000_000,
    bucket: 'minute',
  });
  expect(minutes.buckets[0]).toMatchObject({ events: 3, allowed: 1, denied: 1, audit: 1 });

  const agents = await storage.stats.agents(projectId);
  const auditor = agents.find((a) => a.agentName === 'Auditor')!;
  expect(auditor).toMatchObject({ events: 3, denied: 0, audit: 3 });
  expect(auditor.scopes.map((s) => [s.scope, s.events, s.denied, s.audit])).toEqual([
    ['delete:ledger', 1, 0, 1],
    ['export:ledger', 2, 0, 2],
  ]);
  const ledger = agents.find((a) => a.agentName === 'LedgerBot')!;
  expect(ledger).toMatchObject({ events: 7, denied: 2, audit: 2 });
  expect(ledger.scopes.map((s) => [s.scope, s.events, s.denied, s.audit])).toEqual([
    ['export:ledger', 2, 0, 2],
    ['read:customers', 1, 0, 0],
    ['write:ledger', 2, 2, 0],
  ]);
}

/**
 * Stores events and their rollups exactly as releases before migration 3 did: the events
 * table, then every event with `allowed: false` counted as denied (and one with `allowed:
 * true` as allowed), audit-mode violations included.
 */
async function writeAsBeforeMigration3(driver: SqlDriver, projectId: string, events: EventRecord[]) {
  for (const e of events) {
    await driver.run(
      `INSERT INTO events (project_id, event_id, ts, agent_name, action, scope, allowed, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [projectId, e.eventId, e.ts, e.agentName, e.action, e.scope ?? null, e.allowed ? 1 : 0, e.ts],
    );
    const hour = Math.floor(e.ts / HOUR);
    const denied = e.allowed ? 0 : 1;
    if (e.action !== 'session_start' && e.action !== 'session_end') {
      await driver.run(
        `INSERT INTO hourly_agent_counts (project_id, hour, agent_name, allowed_n, denied_n) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (project_id, hour, agent_name) DO UPDATE SET
           allowed_n = hourly_agent_counts.allowed_n + excluded.allowed_n,
           denied_n = hourly_agent_counts.denied_n + excluded.denied_n`,
        [projectId, hour, e.agentName, 1 - denied, denied],
      );
    }
    if (!e.allowed && e.scope !== undefined) {
      await driver.run(
        `INSERT INTO hourly_denied_scopes (project_id, hour, scope, n) VALUES (?, ?, ?, 1)
         ON CONFLICT (project_id, hour, scope) DO UPDATE SET n = hourly_denied_scopes.n + 1`,
        [projectId, hour, e.scope],
      );
    }
    await driver.run(
      `INSERT INTO agent_scopes (project_id, agent_name, scope, first_seen, last_seen, n, denied_n)
       VALUES (?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (project_id, agent_name, scope) DO UPDATE SET
         first_seen = CASE WHEN excluded.first_seen < agent_scopes.first_seen THEN excluded.first_seen ELSE agent_scopes.first_seen END,
         last_seen = CASE WHEN excluded.last_seen > agent_scopes.last_seen THEN excluded.last_seen ELSE agent_scopes.last_seen END,
         n = agent_scopes.n + 1,
         denied_n = agent_scopes.denied_n + excluded.denied_n`,
      [projectId, e.agentName, e.scope ?? '', e.ts, e.ts, denied],
    );
  }
}

describe.each(backends())('audit-mode calls on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('stats and agents count an audit-mode violation as audit, never as denied or allowed', async () => {
    const storage = await openStorage(await backend.fresh());
    try {
      await storage.accounts.createProject({ id: 'prj_ledger', name: 'ledger', createdAt: 1 });
      // Two batches, so rollup rows are both inserted and added to.
      await storage.writer.insert('prj_ledger', TRAFFIC.slice(0, 5));
      await storage.writer.insert('prj_ledger', TRAFFIC.slice(5));
      await expectTrafficCounted(storage, 'prj_ledger');
    } finally {
      await storage.close();
    }
  });

  test('a database whose rollups counted audit as denied opens with corrected stats and agents', async () => {
    const options = await backend.fresh();
    const old: SqlDriver = options.databaseUrl
      ? new PostgresDriver(options.databaseUrl)
      : new SqliteDriver(options.db!);
    expect(await migrate(old, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    await old.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', [
      'prj_ledger',
      'ledger',
      1,
    ]);
    // A second project's rows must be left as they are.
    await old.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', ['prj_other', 'other', 1]);
    await writeAsBeforeMigration3(old, 'prj_ledger', TRAFFIC);
    await writeAsBeforeMigration3(old, 'prj_other', [
      event({ allowed: false, scope: 'write:refunds', ts: T0 + 5 }),
      event({ ts: T0 + 6 }),
    ]);
    await old.close();

    const upgraded = await openStorage(options);
    try {
      await expectTrafficCounted(upgraded, 'prj_ledger');
      const other = await upgraded.stats.summary('prj_other', { from: T0, to: T0 + HOUR, bucket: 'hour' });
      expect(other.totals).toEqual({ events: 2, allowed: 1, denied: 1, audit: 0 });
      expect(other.topDeniedScopes).toEqual([{ scope: 'write:refunds', denied: 1 }]);
      // New traffic after the upgrade adds to the rebuilt rows.
      await upgraded.writer.insert('prj_ledger', [audit({ agentName: 'Auditor', ts: T0 + HOUR + 8 })]);
      const after = await upgraded.stats.summary('prj_ledger', {
        from: T0,
        to: T0 + 3 * HOUR,
        bucket: 'hour',
      });
      expect(after.totals).toEqual({ events: 9, allowed: 1, denied: 2, audit: 6 });
    } finally {
      await upgraded.close();
    }
  });

  test("the SDK's onDeny: 'log' traffic: /stats and /agents agree with ?outcome=denied and ?outcome=audit", async () => {
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
      const exportLedger = sudo('export:ledger', () => 'csv', { onDeny: 'log' });
      const support = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
      const auditor = new Agent({ name: 'Auditor', scopes: [] });
      const started = Date.now();
      support.startSession(() => {
        for (let i = 0; i < 6; i++) lookup(`c-${i}`);
        for (let i = 0; i < 4; i++) expect(() => refund(`o-${i}`)).toThrow(PermissionError);
        for (let i = 0; i < 3; i++) expect(exportLedger()).toBe('csv');
      });
      auditor.startSession(() => {
        for (let i = 0; i < 5; i++) expect(exportLedger()).toBe('csv');
      });
      expect(await transport.flush(20_000)).toBe(true);

      const project = `/api/projects/${t.projectId}`;
      const count = async (query: string) =>
        (await t.read(`${project}/events?${query}&limit=1000`)).body.events.length as number;
      const denied = await count('outcome=denied');
      const audited = await count('outcome=audit');
      expect([denied, audited]).toEqual([4, 8]);

      const hour = 3_600_000;
      const ranges = [
        // Whole hours, read from the rollups.
        [Math.floor(started / hour) * hour - hour, Math.ceil(Date.now() / hour) * hour + hour],
        // Unaligned, so the same checks are read from the events.
        [started - 1, Date.now() + 1],
      ];
      for (const [from, to] of ranges) {
        const { status, body } = await t.read(
          `${project}/stats?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
        );
        expect(status).toBe(200);
        expect(body.totals).toMatchObject({ events: 18, allowed: 6, denied, audit: audited });
        expect(body.totals.denial_rate).toBeCloseTo(denied / 18);
        expect(body.top_denied_scopes).toEqual([{ scope: 'write:refunds', denied: 4 }]);
        expect(body.top_audit_scopes).toEqual([{ scope: 'export:ledger', audit: 8 }]);
        expect(body.agents.find((a: any) => a.agent_name === 'Auditor')).toMatchObject({
          events: 5,
          denied: 0,
          audit: 5,
          denial_rate: 0,
        });
        const sum = (key: string) => body.buckets.reduce((n: number, b: any) => n + b[key], 0);
        expect([sum('denied'), sum('audit')]).toEqual([denied, audited]);
      }

      const { body } = await t.read(`${project}/agents`);
      const agents = Object.fromEntries(body.agents.map((a: any) => [a.agent_name, a]));
      expect(agents.Auditor).toMatchObject({ denied: 0, audit: 5 });
      expect(agents.Auditor.scopes).toEqual([
        expect.objectContaining({ scope: 'export:ledger', denied: 0, audit: 5 }),
      ]);
      expect(agents.SupportBot).toMatchObject({ denied: 4, audit: 3 });
    } finally {
      await transport.close();
      configure({ transports: [] });
      await t.server.close();
    }
  });
});
