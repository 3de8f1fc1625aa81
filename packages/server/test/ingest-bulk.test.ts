import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  openStorage,
  PostgresDriver,
  SqliteDriver,
  type EventRecord,
  type InsertResult,
  type SqlDriver,
  type Storage,
  type StorageOptions,
} from '../src';
import { countOf, REASON_SQL } from '../src/storage/outcome-sql';
import { backends } from './helpers';

/*
 * What the bulk ingest path keeps on both engines: group commits (batches handed to the
 * writer in one turn of the event loop share one transaction), duplicates within and
 * across them, every optional field empty or odd, the largest group, and rollups that
 * equal counting the stored events.
 */

const HOUR = 3_600_000_000;
/** 2026-03-01T00:00:00Z in µs, an hour boundary. */
const T0 = Date.UTC(2026, 2, 1) * 1000;
const AGENTS = ['SupportBot', 'BillingBot', 'OpsBot'];
const SCOPES = ['read:customers', 'write:refunds', 'delete:users', undefined];
const ACTIONS = [
  'permission_check',
  'audit_violation',
  'session_start',
  'approval_denied',
  'approval_requested',
  'approval_expired',
] as const;
/** Some denials say why, others (as older SDKs send them) do not. */
const REASONS = ['budget', undefined, 'rate_limit', 'guardrail', undefined] as const;

/** n events spread over agents, scopes, outcomes and three hours. */
function traffic(n: number, from = T0): EventRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: randomUUID(),
    ts: from + ((i * 7919) % (3 * HOUR)),
    agentName: AGENTS[i % AGENTS.length],
    action: ACTIONS[i % ACTIONS.length],
    scope: SCOPES[i % SCOPES.length],
    allowed: i % 5 !== 0,
    functionName: 'Service.method',
    ...reasonFor(i),
  }));
}

/** The reason of the i-th event of {@link traffic}: only refused ones have one, and not all. */
function reasonFor(i: number): Pick<EventRecord, 'reason'> {
  const reason = i % 5 === 0 ? REASONS[(i / 5) % REASONS.length] : undefined;
  return reason === undefined ? {} : { reason };
}

/** Hands every batch to the writer in the same turn, so they share a group commit. */
function together(storage: Storage, projectId: string, batches: EventRecord[][]): Promise<InsertResult[]> {
  return Promise.all(batches.map((b) => storage.writer.insert(projectId, b)));
}

function driverFor(options: StorageOptions): SqlDriver {
  return options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db!);
}

describe.each(backends())('bulk ingest on $name', (backend) => {
  let options: StorageOptions;
  let storage: Storage;
  let projectId: string;

  beforeEach(async () => {
    options = await backend.fresh();
    storage = await openStorage(options);
    projectId = `prj_${randomUUID().slice(0, 8)}`;
    await storage.accounts.createProject({ id: projectId, name: `p-${projectId}`, createdAt: Date.now() });
  });
  afterEach(() => storage.close());
  afterAll(() => backend.cleanup());

  /** Every stored event of the project, oldest seq first. */
  async function stored(): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    for (let before: { ts: number; seq: number } | undefined, more = true; more;) {
      const page = await storage.events.list(projectId, {}, { limit: 1000, before });
      out.push(...page.events);
      before = page.next;
      more = page.next !== undefined;
    }
    return out.sort((a, b) => a.seq! - b.seq!);
  }

  test('an event repeated within a group commit is stored once, for the batch that came first', async () => {
    const [a, b, c] = [traffic(3), traffic(3), traffic(3)];
    const repeat = { ...a[1] };
    const results = await together(storage, projectId, [a, [...b, repeat], [repeat, ...c, { ...c[0] }]]);
    expect(results).toEqual([
      { accepted: 3, duplicates: 0 },
      { accepted: 3, duplicates: 1 },
      { accepted: 3, duplicates: 2 },
    ]);
    expect((await stored()).map((e) => e.eventId)).toEqual([...a, ...b, ...c].map((e) => e.eventId));
  });

  test('events stored by an earlier commit are duplicates in a later one', async () => {
    const first = traffic(50);
    expect(await storage.writer.insert(projectId, first)).toEqual({ accepted: 50, duplicates: 0 });
    const retried = [...first.slice(0, 20).map((e) => ({ ...e })), ...traffic(5)];
    expect(await together(storage, projectId, [retried, first.slice(40).map((e) => ({ ...e }))])).toEqual([
      { accepted: 5, duplicates: 20 },
      { accepted: 0, duplicates: 10 },
    ]);
    expect(await stored()).toHaveLength(55);
  });

  test('live feeds get each event once, in seq order, with the seq it was stored under, duplicates or not', async () => {
    const heard: [string, number][] = [];
    const unsubscribe = storage.live.subscribe(projectId, (events) => {
      for (const e of events) heard.push([e.eventId, e.seq!]);
    });
    try {
      const first = traffic(10);
      await storage.writer.insert(projectId, first);
      // Retried events between new ones, and a second batch in the same group repeating one.
      const fresh = traffic(6);
      const mixed = fresh.slice(0, 4).flatMap((e, i) => [{ ...first[i] }, e]);
      await together(storage, projectId, [mixed, [{ ...fresh[3] }, fresh[4], { ...first[9] }, fresh[5]]]);
      const rows = await stored();
      expect(rows).toHaveLength(16);
      for (let i = 0; i < 50 && heard.length < 16; i++) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toEqual(rows.map((e) => [e.eventId, e.seq]));
    } finally {
      unsubscribe();
    }
  });

  test('the same event id in two projects is stored in each', async () => {
    const other = `prj_${randomUUID().slice(0, 8)}`;
    await storage.accounts.createProject({ id: other, name: `p-${other}`, createdAt: Date.now() });
    const [e] = traffic(1);
    const results = await Promise.all([
      storage.writer.insert(projectId, [{ ...e }]),
      storage.writer.insert(other, [{ ...e }]),
    ]);
    expect(results).toEqual([
      { accepted: 1, duplicates: 0 },
      { accepted: 1, duplicates: 0 },
    ]);
    expect(await storage.events.get(projectId, e.eventId)).toBeDefined();
    expect(await storage.events.get(other, e.eventId)).toBeDefined();
  });

  test('an event with every optional field empty reads back without them', async () => {
    const bare: EventRecord = {
      eventId: randomUUID(),
      ts: T0,
      agentName: 'SupportBot',
      action: 'permission_check',
      allowed: false,
    };
    await together(storage, projectId, [[bare], traffic(2)]);
    const back = await storage.events.get(projectId, bare.eventId);
    expect(back).toEqual({ ...bare, seq: expect.any(Number), receivedAt: expect.any(Number) });
  });

  test('metadata and names with unicode, quotes, backslashes, braces and commas read back as sent', async () => {
    const odd = '"quoted", \'single\', back\\slash, {braces}, NULL, null, 🙂 ünïcödé, 漢字, \t tab';
    const event: EventRecord = {
      eventId: randomUUID(),
      ts: T0,
      agentName: `Bot ${odd}`,
      agentId: odd,
      role: '{}',
      sessionId: 'NULL',
      action: 'permission_check',
      scope: `read:${odd}`,
      allowed: true,
      functionName: '"',
      metadata: { text: odd, nested: { list: [odd, 1, null, true] }, '"key"': '\\' },
      sdk: ',',
    };
    await together(storage, projectId, [[event], traffic(2)]);
    expect(await storage.events.get(projectId, event.eventId)).toEqual({
      ...event,
      seq: expect.any(Number),
      receivedAt: expect.any(Number),
    });
  });

  test('a group commit of 20,000 events stores each once, with seqs in the order received', async () => {
    const batches = Array.from({ length: 40 }, () => traffic(500));
    const results = await together(storage, projectId, batches);
    expect(results.every((r) => r.accepted === 500 && r.duplicates === 0)).toBe(true);
    const all = await stored();
    expect(all.map((e) => e.eventId)).toEqual(batches.flat().map((e) => e.eventId));
    expect(new Set(all.map((e) => e.seq)).size).toBe(20_000);
  }, 120_000);

  test('the rollups equal counting the stored events, after group commits, duplicates and several projects', async () => {
    const other = `prj_${randomUUID().slice(0, 8)}`;
    await storage.accounts.createProject({ id: other, name: `p-${other}`, createdAt: Date.now() });
    const first = traffic(900);
    await together(storage, projectId, [first.slice(0, 300), first.slice(300)]);
    // Adds to rollup rows that exist, repeats some events, and mixes in a second project.
    await Promise.all([
      storage.writer.insert(projectId, [
        ...first.slice(0, 100).map((e) => ({ ...e })),
        ...traffic(400, T0 + HOUR),
      ]),
      storage.writer.insert(other, traffic(300)),
      storage.writer.insert(projectId, traffic(200, T0 + 2 * HOUR)),
    ]);

    const driver = driverFor(options);
    try {
      const hour = `(ts / ${HOUR})`;
      const expectSame = async (rollup: string, counted: string) => {
        const [a, b] = await Promise.all([driver.all(rollup), driver.all(counted)]);
        expect(a.length).toBeGreaterThan(0);
        expect(a).toEqual(b);
      };
      await expectSame(
        `SELECT project_id, hour, agent_name, allowed_n, denied_n, audit_n FROM hourly_agent_counts
         ORDER BY project_id, hour, agent_name`,
        `SELECT project_id, ${hour} AS hour, agent_name, SUM(${countOf('allowed')}) AS allowed_n,
           SUM(${countOf('denied')}) AS denied_n, SUM(${countOf('audit')}) AS audit_n
         FROM events WHERE ${countOf('info')} = 0 GROUP BY project_id, ${hour}, agent_name
         ORDER BY project_id, hour, agent_name`,
      );
      for (const outcome of ['denied', 'audit'] as const) {
        await expectSame(
          `SELECT project_id, hour, scope, n FROM hourly_${outcome}_scopes ORDER BY project_id, hour, scope`,
          `SELECT project_id, ${hour} AS hour, scope, COUNT(*) AS n FROM events
           WHERE ${countOf(outcome)} = 1 AND scope IS NOT NULL GROUP BY project_id, ${hour}, scope
           ORDER BY project_id, hour, scope`,
        );
      }
      await expectSame(
        `SELECT project_id, hour, reason, n FROM hourly_denied_reasons ORDER BY project_id, hour, reason`,
        `SELECT project_id, ${hour} AS hour, ${REASON_SQL} AS reason, COUNT(*) AS n FROM events
         WHERE ${countOf('denied')} = 1 GROUP BY project_id, ${hour}, ${REASON_SQL}
         ORDER BY project_id, hour, reason`,
      );
      await expectSame(
        `SELECT project_id, agent_name, scope, first_seen, last_seen, n, denied_n, audit_n FROM agent_scopes
         ORDER BY project_id, agent_name, scope`,
        `SELECT project_id, agent_name, COALESCE(scope, '') AS scope, MIN(ts) AS first_seen, MAX(ts) AS last_seen,
           COUNT(*) AS n, SUM(${countOf('denied')}) AS denied_n, SUM(${countOf('audit')}) AS audit_n
         FROM events GROUP BY project_id, agent_name, COALESCE(scope, '')
         ORDER BY project_id, agent_name, scope`,
      );
    } finally {
      await driver.close();
    }
  }, 120_000);
});

describe('bulk ingest on PostgreSQL', () => {
  const [, postgres] = backends();
  afterAll(() => postgres.cleanup());

  test('batches that share a group commit are announced to other instances in one NOTIFY', async () => {
    const options = await postgres.fresh();
    const storage = await openStorage(options);
    const listener = new Client({ connectionString: options.databaseUrl });
    try {
      const projectId = `prj_${randomUUID().slice(0, 8)}`;
      await storage.accounts.createProject({ id: projectId, name: 'p', createdAt: Date.now() });
      const payloads: string[] = [];
      listener.on('notification', (msg) => {
        if (msg.payload?.startsWith(`${projectId}|`)) payloads.push(msg.payload);
      });
      await listener.connect();
      await listener.query('LISTEN agentsudo_events');
      const batches = Array.from({ length: 10 }, () => traffic(100));
      await together(storage, projectId, batches);
      // A marker commit after them: once its notice is here, theirs have arrived too
      // (notifications arrive in commit order).
      await storage.writer.insert(projectId, traffic(1));
      for (let i = 0; i < 600 && payloads.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(payloads).toHaveLength(2);
      const seqs = (await storage.events.list(projectId, {}, { limit: 2000 })).events.map((e) => e.seq!);
      const ofGroup = seqs.sort((a, b) => a - b).slice(0, 1000);
      expect(payloads[0]).toBe(`${projectId}|${ofGroup[0]}-${ofGroup[999]}`);
    } finally {
      await listener.end();
      await storage.close();
    }
  }, 60_000);
});
