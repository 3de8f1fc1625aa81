import { randomUUID } from 'node:crypto';
import {
  MIGRATIONS,
  migrate,
  openStorage,
  PostgresDriver,
  runRetention,
  type EventRecord,
  type SqlDriver,
  type Storage,
} from '../src';
import { AHEAD_DAYS, DAY_US, EventPartitions, partitionName } from '../src/storage/partitions';
import { freshDatabase, startServer, wire } from './helpers';

/*
 * On PostgreSQL `events` is partitioned by day; these tests read the catalog (pg_inherits)
 * to see the partitions themselves. SQLite keeps one table (storage.test.ts covers both).
 */

const NOW_MS = Date.now();
const TODAY = Math.floor((NOW_MS * 1000) / DAY_US);
const HOUR_US = 3_600_000_000;
/** 1970-01-01, and the last day the server stores: times no day partition covers. */
const EPOCH_US = 0;
const LAST_DAY_US = Date.UTC(9999, 11, 31) * 1000;

function event(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    eventId: randomUUID(),
    ts: TODAY * DAY_US + HOUR_US,
    agentName: 'SupportBot',
    action: 'permission_check',
    scope: 'read:customers',
    allowed: true,
    ...overrides,
  };
}

/** The partitions of `events` with the number of rows each holds, by name. */
async function partitionRows(driver: SqlDriver): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const rows = await driver.all<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  for (const { name } of rows) {
    const [n] = await driver.all<{ n: string }>(`SELECT COUNT(*) AS n FROM ${name}`);
    out[name] = Number(n.n);
  }
  return out;
}

describe('events partitioned by day on PostgreSQL', () => {
  const dbs: Array<{ drop(): Promise<void> }> = [];
  const closing: Array<{ close(): Promise<void> }> = [];
  async function fresh(): Promise<string> {
    const db = await freshDatabase();
    dbs.push(db);
    return db.url;
  }
  function driverOn(url: string): PostgresDriver {
    const driver = new PostgresDriver(url);
    closing.push(driver);
    return driver;
  }
  async function storageOn(url: string): Promise<Storage> {
    const storage = await openStorage({ databaseUrl: url });
    closing.push(storage);
    return storage;
  }
  afterEach(async () => {
    for (const c of closing.splice(0).reverse()) await c.close();
  });
  afterAll(async () => {
    for (const db of dbs.splice(0)) await db.drop();
  });

  test('a database written by the previous release is partitioned in place: every row kept, seq continues, retries stay duplicates', async () => {
    const url = await fresh();
    const old = driverOn(url);
    expect(await migrate(old, MIGRATIONS.slice(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    await old.run("INSERT INTO projects (id, name, created_at) VALUES ('prj_old', 'old', 1)");
    const times = [
      (TODAY - 3) * DAY_US + 5,
      (TODAY - 3) * DAY_US + 6,
      (TODAY - 1) * DAY_US,
      TODAY * DAY_US + HOUR_US,
      EPOCH_US,
      LAST_DAY_US,
      (TODAY - 5 * 366) * DAY_US, // older than the upgrade gives its own partition
    ];
    for (const [i, ts] of times.entries())
      await old.run(
        `INSERT INTO events (project_id, event_id, ts, agent_name, action, scope, allowed, metadata, received_at, reason)
         VALUES ('prj_old', ?, ?, 'OldBot', 'permission_check', 'read:orders', ?, '{"n":1}', 7, ?)`,
        [`evt-${i}`, ts, i % 2, i % 2 ? null : 'budget'],
      );
    // The highest seq given so far is deleted: a live client may have seen it, so it is
    // never given again.
    await old.run(
      "INSERT INTO events (project_id, event_id, ts, agent_name, action, allowed, received_at) VALUES ('prj_old', 'gone', ?, 'OldBot', 'session_start', 1, 7)",
      [TODAY * DAY_US],
    );
    const [{ seq: goneSeq }] = await old.all<{ seq: string }>(
      "SELECT seq FROM events WHERE event_id = 'gone'",
    );
    await old.run("DELETE FROM events WHERE event_id = 'gone'");
    const before = await old.all('SELECT * FROM events ORDER BY seq');
    await old.close();

    const storage = await storageOn(url);
    const driver = driverOn(url);
    expect(await driver.all('SELECT * FROM events ORDER BY seq')).toEqual(before);
    const parts = await partitionRows(driver);
    // Days from the oldest event within the backfill to a week ahead, and the default.
    expect(parts).toMatchObject({
      events_default: 3,
      [partitionName(TODAY - 3)]: 2,
      [partitionName(TODAY - 2)]: 0,
      [partitionName(TODAY - 1)]: 1,
      [partitionName(TODAY)]: 1,
      [partitionName(TODAY + AHEAD_DAYS)]: 0,
    });
    expect(Object.keys(parts)).toHaveLength(1 + 3 + 1 + AHEAD_DAYS);

    // New events continue after every seq given before; stored ones are still duplicates.
    const fresh1 = event();
    const retried = {
      eventId: 'evt-0',
      ts: times[0],
      agentName: 'OldBot',
      action: 'permission_check',
      allowed: false,
    } as EventRecord;
    const oddRetried = { ...retried, eventId: 'evt-5', ts: LAST_DAY_US };
    expect(await storage.writer.insert('prj_old', [retried, oddRetried, fresh1])).toEqual({
      accepted: 1,
      duplicates: 2,
    });
    expect(fresh1.seq).toBeGreaterThan(Number(goneSeq));
    expect((await storage.events.get('prj_old', 'evt-6'))?.ts).toBe(times[6]);
    const page = await storage.events.list('prj_old', {}, { limit: 3 });
    expect(page.events.map((e) => e.eventId)).toEqual(['evt-5', fresh1.eventId, 'evt-3']);
  }, 120_000);

  test('retention drops the partitions of whole days before the cutoff and deletes only the rows of the day it falls in', async () => {
    const url = await fresh();
    const storage = await storageOn(url);
    const driver = driverOn(url);
    await storage.accounts.createProject({ id: 'prj_r', name: 'r', createdAt: 1 });
    await new EventPartitions(driver).ensureDays(TODAY - 40, TODAY - 1);
    // The cutoff of 30 days falls in day TODAY - 30 (or TODAY - 31 before its hour).
    const cutoffUs = Math.floor((NOW_MS * 1000 - 30 * DAY_US) / HOUR_US) * HOUR_US;
    const boundaryDay = Math.floor(cutoffUs / DAY_US);
    const kept = event({ ts: cutoffUs + 1 });
    const boundaryOld = event({ ts: cutoffUs - 1 });
    const events = [
      event({ ts: (TODAY - 40) * DAY_US }),
      event({ ts: (TODAY - 35) * DAY_US + 7, allowed: false }),
      event({ ts: (boundaryDay - 1) * DAY_US + 9 }),
      boundaryOld,
      kept,
      event({ ts: EPOCH_US }), // in the default partition, older than any cutoff
      event({ ts: (TODAY - 2) * DAY_US }),
    ];
    expect(await storage.writer.insert('prj_r', events)).toEqual({ accepted: 7, duplicates: 0 });

    expect(await runRetention(storage.retention, 30, NOW_MS)).toBe(5);

    const parts = await partitionRows(driver);
    for (let day = TODAY - 40; day < boundaryDay; day++) expect(parts).not.toHaveProperty(partitionName(day));
    expect(parts[partitionName(boundaryDay)]).toBe(1);
    expect(parts.events_default).toBe(0);
    const left = (await storage.events.list('prj_r', {}, { limit: 10 })).events.map((e) => e.eventId);
    expect(left.sort()).toEqual([kept.eventId, events[6].eventId].sort());
    // The rollups keep their hourly cutoff.
    const [{ n }] = await driver.all<{ n: string }>(
      'SELECT COUNT(*) AS n FROM hourly_agent_counts WHERE hour < ?',
      [cutoffUs / HOUR_US],
    );
    expect(Number(n)).toBe(0);
  }, 120_000);

  test('two instances making the same partitions at once, while both store events of those days, each make them once and lose no event', async () => {
    const url = await fresh();
    const [a, b] = [await storageOn(url), await storageOn(url)];
    await a.accounts.createProject({ id: 'prj_c', name: 'c', createdAt: 1 });
    const [da, db] = [driverOn(url), driverOn(url)];
    for (let round = 0; round < 5; round++) {
      // Days past the week ahead: no partition yet, so their events wait in the default one.
      const first = TODAY + AHEAD_DAYS + 1 + round * 3;
      const batch = (day: number) => Array.from({ length: 50 }, (_, i) => event({ ts: day * DAY_US + i }));
      const early = [...batch(first), ...batch(first + 2)];
      await a.writer.insert('prj_c', early);
      const late = [batch(first + 1), batch(first + 2)];
      const [madeA, madeB, storedA, storedB] = await Promise.all([
        new EventPartitions(da).ensureDays(first, first + 2),
        new EventPartitions(db).ensureDays(first, first + 2),
        a.writer.insert('prj_c', late[0]),
        b.writer.insert('prj_c', late[1]),
      ]);
      expect([...madeA, ...madeB].sort()).toEqual([first, first + 1, first + 2].map(partitionName));
      expect(storedA.accepted + storedB.accepted).toBe(100);
      // Every event is in its own day's partition now, and a retry is still a duplicate.
      const parts = await partitionRows(da);
      expect([0, 1, 2].map((d) => parts[partitionName(first + d)])).toEqual([50, 50, 100]);
      expect(parts.events_default).toBe(0);
      expect(await b.writer.insert('prj_c', [early[0], late[1][49]])).toEqual({ accepted: 0, duplicates: 2 });
    }
  }, 120_000);

  test('events dated more than 24 hours ahead are refused at ingest, so the default partition gets only old odd times and the events of days the partition upkeep failed to make, which move into their day when it is made', async () => {
    const url = await fresh();
    const t = await startServer({ databaseUrl: url });
    closing.push(t.server);
    const driver = driverOn(url);
    const epoch = wire({ timestamp: '1970-01-01T00:00:00Z', agent_name: 'Epoch' });
    expect(await (await t.ingest([epoch])).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const farDay = TODAY + 30;
    for (const timestamp of [
      '9999-12-31T23:59:59.999Z',
      new Date((farDay * DAY_US + HOUR_US) / 1000).toISOString(),
    ]) {
      const res = await t.ingest([wire({ timestamp, agent_name: 'Later' })]);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_event', field: 'events[0].timestamp' });
    }
    expect((await partitionRows(driver)).events_default).toBe(1);
    const read = await t.read(`/api/projects/${t.projectId}/events/${epoch.event_id}`);
    expect([read.status, read.body.event.agent_name]).toEqual([200, 'Epoch']);

    // The upkeep failed to make the partition of the day 23 hours ahead (it is dropped here,
    // empty): an event of that day lands in the default partition, and moves into its day when
    // the upkeep makes it.
    const soonMs = Date.now() + 23 * 3_600_000;
    const soonDay = Math.floor((soonMs * 1000) / DAY_US);
    await driver.run(`DROP TABLE ${partitionName(soonDay)}`);
    const soon = wire({ timestamp: new Date(soonMs).toISOString(), agent_name: 'Soon' });
    expect(await (await t.ingest([soon])).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect((await partitionRows(driver)).events_default).toBe(2);
    const before = await driver.all("SELECT * FROM events WHERE agent_name = 'Soon'");
    expect(await new EventPartitions(driver).ensureAhead(Date.now())).toEqual([partitionName(soonDay)]);
    const parts = await partitionRows(driver);
    expect([parts.events_default, parts[partitionName(soonDay)]]).toEqual([1, 1]);
    expect(await driver.all("SELECT * FROM events WHERE agent_name = 'Soon'")).toEqual(before);
    expect(await (await t.ingest([epoch, soon])).json()).toMatchObject({ accepted: 0, duplicates: 2 });
  }, 120_000);

  test('an id sent again on another day is a second event; reading the id answers the first stored', async () => {
    const storage = await storageOn(await fresh());
    await storage.accounts.createProject({ id: 'prj_d', name: 'd', createdAt: 1 });
    const first = event({ ts: TODAY * DAY_US + 5 });
    const nextDay = { ...first, ts: (TODAY + 1) * DAY_US + 5, allowed: false };
    expect(await storage.writer.insert('prj_d', [first])).toEqual({ accepted: 1, duplicates: 0 });
    expect(await storage.writer.insert('prj_d', [{ ...first, ts: first.ts + 1 }])).toEqual({
      accepted: 0,
      duplicates: 1,
    });
    expect(await storage.writer.insert('prj_d', [nextDay])).toEqual({ accepted: 1, duplicates: 0 });
    expect((await storage.events.get('prj_d', first.eventId))?.ts).toBe(first.ts);
  }, 60_000);
});
