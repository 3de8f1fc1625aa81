import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import { migrate, PostgresDriver, SqliteDriver, type SqlDriver } from '../src';
import {
  execute,
  fetchAll,
  fetchFirst,
  NotReusableQueryError,
  queryBuilder,
  QueryBuilderCannotRunError,
  reusableQuery,
} from '../src/storage/query-layer';
import type { Database, EventsTable } from '../src/storage/schema';
import { backends } from './helpers';

/** 2026-03-01T00:00:00Z in µs. */
const T0 = Date.UTC(2026, 2, 1) * 1000;
/** T0 in whole hours since the epoch, as the rollups store it. */
const HOUR = T0 / 3_600_000_000;

function eventRow(
  projectId: string,
  overrides: Partial<Insertable<EventsTable>> = {},
): Insertable<EventsTable> {
  return {
    project_id: projectId,
    event_id: randomUUID(),
    ts: T0,
    agent_name: 'SupportBot',
    action: 'permission_check',
    scope: 'read:customers',
    allowed: 1,
    received_at: T0 + 1_000,
    ...overrides,
  };
}

describe.each(backends())('the query layer on $name', (backend) => {
  let driver: SqlDriver;
  let db: Kysely<Database>;
  const projectId = 'prj_query';

  beforeEach(async () => {
    const options = await backend.fresh();
    driver = options.databaseUrl ? new PostgresDriver(options.databaseUrl) : new SqliteDriver(options.db!);
    // The schema as today's migrations make it: the query layer adds no table of its own.
    await migrate(driver);
    db = queryBuilder(driver.dialect);
    await driver.run('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)', [
      projectId,
      'checkout',
      1_767_225_600_000,
    ]);
  });
  afterEach(() => driver.close());
  afterAll(() => backend.cleanup());

  test("a row written by today's hand-written SQL reads back through the typed builder, times as numbers", async () => {
    const project = await fetchFirst(
      driver,
      db.selectFrom('projects').select(['id', 'name', 'created_at']).where('name', '=', 'checkout'),
    );
    expect(project).toEqual({ id: projectId, name: 'checkout', created_at: 1_767_225_600_000 });
    expect(await fetchFirst(driver, db.selectFrom('projects').selectAll().where('id', '=', 'prj_none'))).toBe(
      undefined,
    );
  });

  test('a batch of events goes in as one statement: repeated ids are skipped and the new seqs come back as numbers', async () => {
    const first = eventRow(projectId);
    const second = eventRow(projectId, {
      allowed: 0,
      scope: 'write:refunds',
      metadata: '{"team":"billing"}',
    });
    const insert = (rows: Insertable<EventsTable>[]) =>
      db
        .insertInto('events')
        .values(rows)
        // No conflict target: on PostgreSQL an event id is unique within its day's partition,
        // through an index of each partition, which a target could not name.
        .onConflict((oc) => oc.doNothing())
        .returning(['seq', 'event_id']);

    const stored = await driver.transaction((tx) => fetchAll(tx, insert([first, second])));
    expect(stored.map((r) => r.event_id).sort()).toEqual([first.event_id, second.event_id].sort());
    for (const r of stored) expect(typeof r.seq).toBe('number');

    const third = eventRow(projectId, { ts: T0 + 1 });
    const again = await driver.transaction((tx) => fetchAll(tx, insert([first, third])));
    expect(again.map((r) => r.event_id)).toEqual([third.event_id]);
    expect(again[0].seq).toBeGreaterThan(Math.max(...stored.map((r) => r.seq)));

    const denied = await fetchAll(
      driver,
      db
        .selectFrom('events')
        .select(['event_id', 'ts', 'allowed', 'metadata', 'agent_id'])
        .where('project_id', '=', projectId)
        .where('allowed', '=', 0),
    );
    expect(denied).toEqual([
      { event_id: second.event_id, ts: T0, allowed: 0, metadata: '{"team":"billing"}', agent_id: null },
    ]);
  });

  test('an hourly rollup upsert adds to the counts already there', async () => {
    const upsert = (allowed: number, denied: number) =>
      db
        .insertInto('hourly_agent_counts')
        .values({
          project_id: projectId,
          hour: HOUR,
          agent_name: 'SupportBot',
          allowed_n: allowed,
          denied_n: denied,
        })
        .onConflict((oc) =>
          oc.columns(['project_id', 'hour', 'agent_name']).doUpdateSet((eb) => ({
            allowed_n: eb('hourly_agent_counts.allowed_n', '+', eb.ref('excluded.allowed_n')),
            denied_n: eb('hourly_agent_counts.denied_n', '+', eb.ref('excluded.denied_n')),
          })),
        );
    await driver.transaction(async (tx) => {
      expect(await execute(tx, upsert(3, 1))).toBe(1);
      expect(await execute(tx, upsert(2, 0))).toBe(1);
    });
    expect(
      await fetchAll(
        driver,
        db
          .selectFrom('hourly_agent_counts')
          .select(['hour', 'allowed_n', 'denied_n'])
          .where('project_id', '=', projectId),
      ),
    ).toEqual([{ hour: HOUR, allowed_n: 5, denied_n: 1 }]);
  });

  test('an update says how many rows it changed, and a revoked key is no longer found as live', async () => {
    for (const id of ['key_a', 'key_b'])
      await driver.run(
        'INSERT INTO api_keys (id, project_id, kind, prefix, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, projectId, 'ingest', 'as_Jx3q9Kd0', `hash-${id}`, 1, null],
      );
    const liveKey = (hash: string) =>
      db
        .selectFrom('api_keys')
        .select(['id', 'kind', 'revoked_at'])
        .where('key_hash', '=', hash)
        .where('revoked_at', 'is', null);
    expect(await fetchFirst(driver, liveKey('hash-key_a'))).toEqual({
      id: 'key_a',
      kind: 'ingest',
      revoked_at: null,
    });

    const revoke = db
      .updateTable('api_keys')
      .set({ revoked_at: 2 })
      .where('id', '=', 'key_a')
      .where('revoked_at', 'is', null);
    expect(await execute(driver, revoke)).toBe(1);
    expect(await execute(driver, revoke)).toBe(0);
    expect(await fetchFirst(driver, liveKey('hash-key_a'))).toBeUndefined();
    expect(await fetchFirst(driver, liveKey('hash-key_b'))).toMatchObject({ id: 'key_b' });
  });

  test('a transaction that throws leaves none of its writes behind', async () => {
    const failure = new Error('the second write failed');
    await expect(
      driver.transaction(async (tx) => {
        await execute(tx, db.insertInto('projects').values({ id: 'prj_gone', name: 'gone', created_at: 2 }));
        await fetchAll(tx, db.insertInto('events').values(eventRow('prj_gone')).returning('seq'));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await fetchAll(driver, db.selectFrom('projects').select('id').orderBy('id'))).toEqual([
      { id: projectId },
    ]);
    expect(await fetchAll(driver, db.selectFrom('events').select('seq'))).toEqual([]);
  });

  test('hand-shaped SQL written with the sql tag runs as written, a question mark inside a literal included', async () => {
    const query = sql<{ question: string; id: string; n: number }>`
      SELECT 'who?' AS question, p.id, (SELECT COUNT(*) FROM events e WHERE e.project_id = p.id) AS n
      FROM projects p WHERE p.id = ${projectId}`.compile(db);
    expect(await fetchAll(driver, query)).toEqual([{ question: 'who?', id: projectId, n: 0 }]);
  });

  test('a query compiled once answers each call with its own values, as one built per call does', async () => {
    const stored = await driver.transaction((tx) =>
      fetchAll(
        tx,
        db
          .insertInto('events')
          .values(
            [0, 1, 2, 3, 4].map((i) => eventRow(projectId, { ts: T0 + (i % 2), agent_name: `bot-${i % 2}` })),
          )
          .returning(['seq', 'ts']),
      ),
    );
    // The cursor's time appears twice in the SQL, the limit is a parameter too.
    const olderThan = reusableQuery((project: string, ts: number, seq: number, limit: number) =>
      db
        .selectFrom('events')
        .select(['seq', 'ts'])
        .where('project_id', '=', project)
        .where((eb) => eb.or([eb('ts', '<', ts), eb.and([eb('ts', '=', ts), eb('seq', '<', seq)])]))
        .orderBy('ts', 'desc')
        .orderBy('seq', 'desc')
        .limit(limit),
    );
    const newest = [...stored].sort((a, b) => b.ts - a.ts || b.seq - a.seq);
    for (const [i, limit] of [
      [0, 2],
      [1, 3],
      [3, 10],
    ]) {
      const cursor = newest[i];
      expect(await fetchAll(driver, olderThan(projectId, cursor.ts, cursor.seq, limit))).toEqual(
        newest.slice(i + 1, i + 1 + limit),
      );
    }
    expect(await fetchAll(driver, olderThan('prj_none', T0 + 9, 1e9, 10))).toEqual([]);
  });

  test('an insert that returns rows, given the driver while a transaction holds the writer, waits for that transaction', async () => {
    let began!: () => void;
    const begun = new Promise<void>((resolve) => (began = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = driver.transaction(async (tx) => {
      await execute(tx, db.insertInto('projects').values({ id: 'prj_first', name: 'first', created_at: 2 }));
      began();
      await gate;
    });
    await begun;
    const inserting = fetchAll(
      driver,
      db
        .insertInto('projects')
        .values({ id: 'prj_second', name: 'second', created_at: 3 })
        .returning(['id', 'created_at']),
    );
    release();
    await holding;
    expect(await inserting).toEqual([{ id: 'prj_second', created_at: 3 }]);
    expect(await fetchAll(driver, db.selectFrom('projects').select('id').orderBy('id'))).toEqual([
      { id: 'prj_first' },
      { id: projectId },
      { id: 'prj_second' },
    ]);
  });
});

test('a query run by the builder itself is refused, with a message that says how to run it', async () => {
  const db = queryBuilder('sqlite');
  const running = db.selectFrom('projects').selectAll().execute();
  await expect(running).rejects.toBeInstanceOf(QueryBuilderCannotRunError);
  await expect(running).rejects.toThrow(/fetchAll\(\), fetchFirst\(\) or execute\(\)/);
});

test('a reusable query whose argument decides its shape instead of being a value is refused, naming the argument', () => {
  const db = queryBuilder('postgres');
  expect(() =>
    reusableQuery((project: string, onlyDenied: boolean) =>
      db
        .selectFrom('events')
        .selectAll()
        .where('project_id', '=', project)
        .$if(onlyDenied, (q) => q.where('allowed', '=', 0)),
    ),
  ).toThrow(new NotReusableQueryError(2));
});
