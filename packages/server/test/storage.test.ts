import { randomUUID } from 'node:crypto';
import {
  MIGRATIONS,
  migrate,
  openStorage,
  PostgresDriver,
  runRetention,
  SqliteDriver,
  type EventRecord,
  type Storage,
} from '../src';
import { backends } from './helpers';

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

describe.each(backends())('storage on $name', (backend) => {
  let storage: Storage;
  let projectId: string;

  beforeEach(async () => {
    storage = await openStorage(await backend.fresh());
    projectId = `prj_${randomUUID().slice(0, 8)}`;
    await storage.accounts.createProject({ id: projectId, name: `p-${projectId}`, createdAt: Date.now() });
  });
  afterEach(() => storage.close());
  afterAll(() => backend.cleanup());

  test('opening an existing database again applies no migration twice and keeps the data', async () => {
    const options = await backend.fresh();
    const first = await openStorage(options);
    await first.accounts.createProject({ id: 'prj_keep', name: 'keep', createdAt: 1 });
    await first.close();
    const second = await openStorage(options);
    expect((await second.accounts.listProjects()).map((p) => p.name)).toEqual(['keep']);
    await second.close();
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test('a database made by the first release upgrades in place and keeps its data', async () => {
    const options = await backend.fresh();
    const old = options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db!);
    expect(await migrate(old, MIGRATIONS.slice(0, 1))).toEqual([1]);
    await old.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', ['prj_v1', 'from-v1', 1]);
    await old.close();
    const upgraded = await openStorage(options);
    try {
      expect((await upgraded.accounts.listProjects()).map((p) => p.name)).toEqual(['from-v1']);
      const [count] = await upgraded.loginAttempts.record('a1', ['email:ops@example.com'], 2_000, 1_000);
      expect(count).toEqual({ key: 'email:ops@example.com', count: 1, oldest: 2_000 });
    } finally {
      await upgraded.close();
    }
  });

  test('a batch is stored once: repeated event ids in the project count as duplicates', async () => {
    const a = event();
    const b = event({ allowed: false, scope: 'write:refunds' });
    expect(await storage.writer.insert(projectId, [a, b, a])).toEqual({ accepted: 2, duplicates: 1 });
    expect(await storage.writer.insert(projectId, [a, b, event()])).toEqual({ accepted: 1, duplicates: 2 });
    const page = await storage.events.list(projectId, {}, { limit: 10 });
    expect(page.events).toHaveLength(3);
  });

  test('an event id is stored once even when a later copy carries another timestamp', async () => {
    const first = event({ ts: T0 + 1 });
    const copy = { ...first, ts: T0 + 5_000_000, allowed: false };
    expect(await storage.writer.insert(projectId, [first])).toEqual({ accepted: 1, duplicates: 0 });
    expect(await storage.writer.insert(projectId, [copy])).toEqual({ accepted: 0, duplicates: 1 });
    expect(
      await storage.writer.insert(projectId, [
        { ...first, ts: T0 + 9 },
        { ...copy, ts: T0 + 7 },
      ]),
    ).toEqual({
      accepted: 0,
      duplicates: 2,
    });
    const page = await storage.events.list(projectId, {}, { limit: 10 });
    expect(page.events.map((e) => [e.eventId, e.ts, e.allowed])).toEqual([[first.eventId, T0 + 1, true]]);
  });

  test('the same event id in two projects is two events: projects never share rows', async () => {
    await storage.accounts.createProject({ id: 'prj_other', name: 'other', createdAt: 1 });
    const e = event();
    await storage.writer.insert(projectId, [e]);
    expect(await storage.writer.insert('prj_other', [e])).toEqual({ accepted: 1, duplicates: 0 });
    expect((await storage.events.list('prj_other', {}, { limit: 10 })).events).toHaveLength(1);
    expect((await storage.events.list(projectId, {}, { limit: 10 })).events).toHaveLength(1);
  });

  test('every field round-trips, microseconds and metadata included', async () => {
    const e = event({
      ts: T0 + 123_456,
      agentId: 'agent-1',
      role: 'support',
      sessionId: 'sess-1',
      functionName: 'Refunds.process',
      metadata: { team: 'billing', nested: { n: 1, list: ['ü', '😀'] } },
      sdk: 'agentsudo-js/0.1.0',
    });
    await storage.writer.insert(projectId, [e]);
    const [stored] = (await storage.events.list(projectId, {}, { limit: 1 })).events;
    expect(stored).toMatchObject({ ...e, seq: expect.any(Number), receivedAt: expect.any(Number) });
  });

  test('filters select by agent, scope pattern, allowed, action, function and time range', async () => {
    await storage.writer.insert(projectId, [
      event({ agentName: 'A', scope: 'read:orders', ts: T0 }),
      event({ agentName: 'A', scope: 'write:refunds', allowed: false, ts: T0 + 1, functionName: 'refund' }),
      event({ agentName: 'B', scope: 'read:customers', ts: T0 + 2 }),
      event({ agentName: 'B', scope: 'read%_odd', ts: T0 + 3 }),
      event({ agentName: 'B', action: 'session_start', scope: undefined, ts: T0 + 4 }),
    ]);
    const scopes = async (filter: object) =>
      (await storage.events.list(projectId, filter, { limit: 100 })).events.map((e) => e.scope ?? '-').sort();
    expect(await scopes({ agent: 'A' })).toEqual(['read:orders', 'write:refunds']);
    expect(await scopes({ scope: 'read:*' })).toEqual(['read:customers', 'read:orders']);
    expect(await scopes({ scope: 'read*' })).toEqual(['read%_odd', 'read:customers', 'read:orders']);
    // LIKE metacharacters in a pattern match only themselves; matching is case-sensitive.
    expect(await scopes({ scope: 'read%*' })).toEqual(['read%_odd']);
    expect(await scopes({ scope: 'READ:*' })).toEqual([]);
    expect(await scopes({ scope: 'write:refunds' })).toEqual(['write:refunds']);
    expect(await scopes({ allowed: false })).toEqual(['write:refunds']);
    expect(await scopes({ action: 'session_start' })).toEqual(['-']);
    expect(await scopes({ functionName: 'refund' })).toEqual(['write:refunds']);
    expect(await scopes({ from: T0 + 1, to: T0 + 3 })).toEqual(['read:customers', 'write:refunds']);
  });

  test('free-text search finds agent, scope, function or session substrings, ignoring case', async () => {
    await storage.writer.insert(projectId, [
      event({ agentName: 'SupportBot', functionName: 'CustomerService.getCustomer', ts: T0 + 1 }),
      event({ agentName: 'BillingBot', scope: 'write:invoices', functionName: 'voidInvoice', ts: T0 + 2 }),
      event({ agentName: 'Odd%_Bot', scope: 'read:x', sessionId: 'sess-42', ts: T0 + 3 }),
    ]);
    const names = async (search: string) =>
      (await storage.events.list(projectId, { search }, { limit: 10 })).events.map((e) => e.agentName);
    expect(await names('customer')).toEqual(['SupportBot']);
    expect(await names('INVOICE')).toEqual(['BillingBot']);
    expect(await names('sess-4')).toEqual(['Odd%_Bot']);
    // LIKE's wildcards are plain characters in a search.
    expect(await names('%_')).toEqual(['Odd%_Bot']);
    expect(await names('%')).toEqual(['Odd%_Bot']);
    expect(await names('bot')).toEqual(['Odd%_Bot', 'BillingBot', 'SupportBot']);
  });

  test('cursor pages walk every event newest first, without gaps or repeats, ties included', async () => {
    // 25 events over 5 distinct timestamps: the cursor must break ties by insertion order.
    const all = Array.from({ length: 25 }, (_, i) => event({ ts: T0 + Math.floor(i / 5) }));
    await storage.writer.insert(projectId, all);
    const seen: string[] = [];
    let before;
    for (let pages = 0; pages < 10; pages++) {
      const page = await storage.events.list(projectId, {}, { limit: 7, before });
      seen.push(...page.events.map((e) => e.eventId));
      if (!page.next) break;
      before = page.next;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const ts = (await storage.events.list(projectId, {}, { limit: 25 })).events.map((e) => e.ts);
    expect(ts).toEqual([...ts].sort((x, y) => y - x));
  });

  test('streamEvents reads every matching event oldest first, a page at a time', async () => {
    await storage.writer.insert(
      projectId,
      Array.from({ length: 23 }, (_, i) => event({ ts: T0 + i, allowed: i % 2 === 0 })),
    );
    const out: number[] = [];
    for await (const e of storage.events.stream(projectId, { allowed: true }, 5)) out.push(e.ts - T0);
    expect(out).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
  });

  test('stats count whole hours from rollups and partial hours from events, exactly', async () => {
    await storage.writer.insert(projectId, [
      event({ agentName: 'A', ts: T0 + 10 }), // hour 0, before the range starts
      event({ agentName: 'A', ts: T0 + HOUR / 2 }), // hour 0, inside
      event({ agentName: 'A', ts: T0 + HOUR + 5, allowed: false, scope: 'write:refunds' }), // hour 1
      event({ agentName: 'B', ts: T0 + HOUR + 6, allowed: false, scope: 'write:refunds' }),
      event({ agentName: 'B', ts: T0 + 2 * HOUR + 1, allowed: false, scope: 'delete:users' }), // hour 2
      event({ agentName: 'B', ts: T0 + 2 * HOUR + HOUR / 2 }), // hour 2, after the range ends
    ]);
    const s = await storage.stats.summary(projectId, {
      from: T0 + HOUR / 4,
      to: T0 + 2 * HOUR + HOUR / 4,
      bucket: 'hour',
    });
    expect(s.totals).toEqual({ events: 4, allowed: 1, denied: 3, audit: 0 });
    expect(s.activeAgents).toBe(2);
    expect(s.buckets.map((b) => [(b.start - T0) / HOUR, b.events, b.denied])).toEqual([
      [0, 1, 0],
      [1, 2, 2],
      [2, 1, 1],
    ]);
    expect(s.topDeniedScopes).toEqual([
      { scope: 'write:refunds', denied: 2 },
      { scope: 'delete:users', denied: 1 },
    ]);
    expect(s.agents).toEqual([
      { agentName: 'A', events: 2, allowed: 1, denied: 1, audit: 0 },
      { agentName: 'B', events: 2, allowed: 0, denied: 2, audit: 0 },
    ]);
  });

  test('stats count checks, not session start and end, in rollups, edges and minute buckets', async () => {
    const session = (action: EventRecord['action'], ts: number) => event({ action, ts, scope: undefined });
    await storage.writer.insert(projectId, [
      session('session_start', T0 + HOUR / 2),
      event({ ts: T0 + HOUR / 2 + 1 }),
      event({ ts: T0 + HOUR / 2 + 2, allowed: false, scope: 'write:refunds' }),
      session('session_end', T0 + HOUR / 2 + 3),
      session('session_start', T0 + HOUR + 10), // a whole hour, read from the rollups
      event({ ts: T0 + HOUR + 11, action: 'audit_violation', allowed: false, scope: 'write:refunds' }),
      session('session_end', T0 + HOUR + 12),
    ]);
    const hours = await storage.stats.summary(projectId, {
      from: T0 + HOUR / 4,
      to: T0 + 2 * HOUR,
      bucket: 'hour',
    });
    // The audit-mode violation is a check, counted as audit (see audit-outcome.test.ts).
    expect(hours.totals).toEqual({ events: 3, allowed: 1, denied: 1, audit: 1 });
    expect(hours.agents).toEqual([{ agentName: 'SupportBot', events: 3, allowed: 1, denied: 1, audit: 1 }]);
    expect(hours.buckets.map((b) => b.events)).toEqual([2, 1]);
    const minutes = await storage.stats.summary(projectId, { from: T0, to: T0 + HOUR, bucket: 'minute' });
    expect(minutes.buckets.reduce((n, b) => n + b.events, 0)).toBe(2);
  });

  test('minute and day buckets cover the range with zeros where nothing happened', async () => {
    await storage.writer.insert(projectId, [event({ ts: T0 + 90_000_000 }), event({ ts: T0 + 30 * HOUR })]);
    const minutes = await storage.stats.summary(projectId, {
      from: T0,
      to: T0 + 5 * 60_000_000,
      bucket: 'minute',
    });
    expect(minutes.buckets.map((b) => b.events)).toEqual([0, 1, 0, 0, 0]);
    const days = await storage.stats.summary(projectId, { from: T0, to: T0 + 48 * HOUR, bucket: 'day' });
    expect(days.buckets.map((b) => b.events)).toEqual([1, 1]);
  });

  test('agents list first and last seen and the scopes each used', async () => {
    await storage.writer.insert(projectId, [
      event({ agentName: 'A', scope: 'read:orders', ts: T0 + 5 }),
      event({ agentName: 'A', scope: 'write:refunds', allowed: false, ts: T0 + 9 }),
      event({ agentName: 'A', action: 'session_start', scope: undefined, ts: T0 + 1 }),
    ]);
    await storage.writer.insert(projectId, [event({ agentName: 'A', scope: 'read:orders', ts: T0 + 20 })]);
    const [a] = await storage.stats.agents(projectId);
    expect(a).toMatchObject({ agentName: 'A', firstSeen: T0 + 1, lastSeen: T0 + 20, events: 4, denied: 1 });
    expect(a.scopes).toEqual([
      { scope: 'read:orders', firstSeen: T0 + 5, lastSeen: T0 + 20, events: 2, denied: 0, audit: 0 },
      { scope: 'write:refunds', firstSeen: T0 + 9, lastSeen: T0 + 9, events: 1, denied: 1, audit: 0 },
    ]);
  });

  test('retention deletes events (and their rollups) older than the cutoff, in every project', async () => {
    const now = Date.now();
    const old = (days: number) => (now - days * 24 * 3600_000) * 1000;
    await storage.writer.insert(projectId, [
      event({ ts: old(40) }),
      event({ ts: old(31) }),
      event({ ts: old(1) }),
    ]);
    expect(await runRetention(storage.retention, 30, now)).toBe(2);
    expect((await storage.events.list(projectId, {}, { limit: 10 })).events).toHaveLength(1);
    const s = await storage.stats.summary(projectId, { from: old(60), to: now * 1000, bucket: 'day' });
    expect(s.totals.events).toBe(1);
  });

  test('subscribers receive each stored batch; duplicates are not re-announced', async () => {
    const seen: string[] = [];
    const unsubscribe = storage.live.subscribe(projectId, (events) =>
      seen.push(...events.map((e) => e.eventId)),
    );
    const e = event();
    await storage.writer.insert(projectId, [e]);
    await storage.writer.insert(projectId, [e]);
    for (let i = 0; i < 50 && seen.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    unsubscribe();
    expect(seen).toEqual([e.eventId]);
  });

  test('keys are found by hash and prefix, and revoking stamps them', async () => {
    await storage.accounts.insertKey({
      id: 'k1',
      projectId,
      kind: 'ingest',
      prefix: 'as_abcdefgh',
      keyHash: 'h1',
      createdAt: 1,
    });
    expect((await storage.accounts.findKeyByHash('h1'))?.projectId).toBe(projectId);
    expect((await storage.accounts.findKeysByPrefix('as_abc')).map((k) => k.id)).toEqual(['k1']);
    // A prefix containing LIKE wildcards only matches literally.
    expect(await storage.accounts.findKeysByPrefix('as_%')).toEqual([]);
    await storage.accounts.revokeKey('k1', 99);
    expect((await storage.accounts.findKeyByHash('h1'))?.revokedAt).toBe(99);
  });
});

test('an in-memory SQLite database works for quick experiments (reads see writes)', async () => {
  const storage = await openStorage({ db: ':memory:' });
  try {
    await storage.accounts.createProject({ id: 'prj_mem', name: 'mem', createdAt: 1 });
    expect(await storage.writer.insert('prj_mem', [event(), event()])).toEqual({
      accepted: 2,
      duplicates: 0,
    });
    expect((await storage.events.list('prj_mem', {}, { limit: 10 })).events).toHaveLength(2);
  } finally {
    await storage.close();
  }
});
