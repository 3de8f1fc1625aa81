import { randomUUID } from 'node:crypto';
import {
  openStorageOn,
  PostgresDriver,
  type EventRecord,
  type InsertResult,
  type SqlDriver,
  type SqlExecutor,
  type Storage,
} from '../src';
import { freshDatabase } from './helpers';

/*
 * On PostgreSQL two group commits of one instance overlap: the next stores its events while
 * the one before finishes. These tests hold one statement of the first group and check that
 * the overlap keeps the order one commit at a time would have: seqs, rollup locks, commits
 * and what live feeds hear.
 */

/** Statements of `events` inserts and of the rollup upserts, as the writer sends them. */
const EVENTS_INSERT = /^INSERT INTO events /;
const ROLLUPS = /^WITH u0 AS \(INSERT INTO hourly_agent_counts/;

/** The `nth` statement matching `pattern` (after `arm()`) fails with `failure`, without running. */
interface FailAt {
  pattern: RegExp;
  nth: number;
  failure: Error;
}

/**
 * The real driver, with the first transaction statement matching `pattern` after `arm()`
 * held until `release()`; `held` resolves once it is waiting. With `fail`, the held statement
 * then throws `failure` instead of running (as a lost connection, a timeout or a deadlock
 * would). `failAt` fails one more statement at once. Every other statement goes straight
 * through (migrations too).
 */
function holdingDriver(real: PostgresDriver, pattern: RegExp, failure?: Error, failAt?: FailAt) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let holding = false;
  let armed = false;
  let seen = 0;
  const gate = async (sql: string) => {
    if (armed && failAt?.pattern.test(sql) && ++seen === failAt.nth) throw failAt.failure;
    if (holding && pattern.test(sql)) {
      holding = false;
      reached();
      await released;
      if (failure) throw failure;
    }
  };
  const driver: SqlDriver = Object.create(real, {
    transaction: {
      value: <T>(fn: (tx: SqlExecutor) => Promise<T>) =>
        real.transaction((tx) =>
          fn({
            all: async (sql, params, options) => (await gate(sql), tx.all(sql, params, options)),
            run: async (sql, params, options) => (await gate(sql), tx.run(sql, params, options)),
          }),
        ),
    },
  });
  return { driver, held, release, arm: () => (holding = armed = true) };
}

/** n events labelled by their function name; `ids` gives the first ones their ids. */
function batch(n: number, label: string, ids: string[] = []): EventRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: ids[i] ?? randomUUID(),
    ts: Date.now() * 1000 + i,
    agentName: 'SupportBot',
    action: 'permission_check' as const,
    scope: 'read:customers',
    allowed: true,
    functionName: label,
  }));
}

describe('overlapping group commits on PostgreSQL', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  /**
   * Storage on a fresh database whose first statement matching `pattern` is held (and then
   * fails, with `failure`). Timeouts are short, so a writer stuck on a wait shows as a
   * rejected batch rather than as a slow test.
   */
  async function held(
    pattern: RegExp,
    { failure, failAt, maxConnections }: { failure?: Error; failAt?: FailAt; maxConnections?: number } = {},
  ) {
    const db = await freshDatabase();
    drops.push(() => db.drop());
    const real = new PostgresDriver(db.url, { queryTimeoutMs: 5000, connectTimeoutMs: 5000, maxConnections });
    const hold = holdingDriver(real, pattern, failure, failAt);
    const storage: Storage = await openStorageOn(hold.driver, {});
    const projectId = `prj_${randomUUID().slice(0, 8)}`;
    await storage.accounts.createProject({ id: projectId, name: 'p', createdAt: Date.now() });
    const heard: string[] = [];
    const heardSeqs: number[] = [];
    storage.live.subscribe(projectId, (events) => {
      heard.push(...events.map((e) => e.functionName!));
      heardSeqs.push(...events.map((e) => e.seq!));
    });
    hold.arm();
    return { storage, projectId, heard, heardSeqs, ...hold };
  }

  /**
   * Sends 'first' and 'second' (one group, held before its rollups), then 'next', gives it
   * time to store its events, and releases the held statement (which fails); the three
   * answers, not awaited. With `shared`, 'first' and 'next' carry that one event id.
   */
  async function firstGroupFailsAfterNext(
    t: Awaited<ReturnType<typeof held>>,
    shared?: string,
  ): Promise<Array<Promise<InsertResult>>> {
    const ids = shared === undefined ? [] : [shared];
    const first = t.storage.writer.insert(t.projectId, batch(10, 'first', ids));
    const second = t.storage.writer.insert(t.projectId, batch(10, 'second'));
    await t.held;
    const next = t.storage.writer.insert(t.projectId, batch(10, 'next', ids));
    await new Promise((r) => setTimeout(r, 300));
    t.release();
    return [first, second, next];
  }

  /** Waits until `heard` holds n events, or fails after a while. */
  async function untilHeard(heard: string[], n: number) {
    for (let i = 0; i < 400 && heard.length < n; i++) await new Promise((r) => setTimeout(r, 25));
    expect(heard).toHaveLength(n);
  }

  test('the next group stores its events only after the one before took its seqs', async () => {
    const { storage, projectId, heard, held: insertHeld, release } = await held(EVENTS_INSERT);
    try {
      const first = storage.writer.insert(projectId, batch(50, 'first'));
      await insertHeld;
      // The first group's insert is held: the second opens its transaction, and must wait.
      const second = storage.writer.insert(projectId, batch(50, 'second'));
      await new Promise((r) => setTimeout(r, 300));
      release();
      expect(await first).toEqual({ accepted: 50, duplicates: 0 });
      expect(await second).toEqual({ accepted: 50, duplicates: 0 });
      const stored = (await storage.events.list(projectId, {}, { limit: 200 })).events;
      const seqsOf = (label: string) => stored.filter((e) => e.functionName === label).map((e) => e.seq!);
      expect(Math.max(...seqsOf('first'))).toBeLessThan(Math.min(...seqsOf('second')));
      await untilHeard(heard, 100);
      expect(heard.slice(0, 50).every((f) => f === 'first')).toBe(true);
    } finally {
      release();
      await storage.close();
    }
  }, 60_000);

  test("the next group's rollups and commit wait for the group before, which is heard first", async () => {
    const { storage, projectId, heard, held: rollupsHeld, release, driver } = await held(ROLLUPS);
    try {
      const first = storage.writer.insert(projectId, batch(50, 'first'));
      await rollupsHeld;
      // The first group has stored its events and holds before its rollups: the second may
      // store its own now, but not take the rollup rows or commit before the first.
      const second = storage.writer.insert(projectId, batch(50, 'second'));
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([]);
      release();
      expect(await first).toEqual({ accepted: 50, duplicates: 0 });
      expect(await second).toEqual({ accepted: 50, duplicates: 0 });
      await untilHeard(heard, 100);
      expect(heard).toEqual([...Array(50).fill('first'), ...Array(50).fill('second')]);
      const [counts] = await driver.all<{ n: number }>(
        'SELECT SUM(allowed_n) AS n FROM hourly_agent_counts WHERE project_id = ?',
        [projectId],
      );
      expect(Number(counts.n)).toBe(100);
    } finally {
      release();
      await storage.close();
    }
  }, 60_000);

  describe('a group that fails after storing its events, while the next has stored its own', () => {
    const failure = Object.assign(new Error('connection lost (injected)'), { code: '08006' });

    test('its batches go back to the queue, are stored after the next group, and are heard in seq order', async () => {
      const t = await held(ROLLUPS, { failure });
      try {
        const [first, second, next] = await firstGroupFailsAfterNext(t);
        expect(await Promise.all([first, second, next])).toEqual(
          Array(3).fill({ accepted: 10, duplicates: 0 }),
        );
        await untilHeard(t.heard, 30);
        // The group that failed is stored again after the one that went on, each batch alone.
        expect(t.heard).toEqual([
          ...Array(10).fill('next'),
          ...Array(10).fill('first'),
          ...Array(10).fill('second'),
        ]);
        expect(t.heardSeqs).toEqual([...t.heardSeqs].sort((a, b) => a - b));
        // A feed resuming after the last seq it heard of the next group gets the rest.
        const resumed = await t.storage.events.storedAfter(t.projectId, {}, t.heardSeqs[9], 100);
        expect(resumed.events.map((e) => e.functionName)).toEqual(t.heard.slice(10));
      } finally {
        t.release();
        await t.storage.close();
      }
    }, 60_000);

    test('an event it shares with the next group is stored once, and no batch waits out a timeout', async () => {
      const t = await held(ROLLUPS, { failure });
      try {
        // The same event again (a retried delivery): the next group stores it while the
        // first group's copy is not yet committed, then the first group fails.
        const shared = randomUUID();
        const [first, second, next] = await firstGroupFailsAfterNext(t, shared);
        const other = `prj_${randomUUID().slice(0, 8)}`;
        await t.storage.accounts.createProject({ id: other, name: 'o', createdAt: Date.now() });
        const elsewhere = t.storage.writer.insert(other, batch(5, 'elsewhere'));
        expect(await Promise.all([first, second, next, elsewhere])).toEqual([
          { accepted: 9, duplicates: 1 },
          { accepted: 10, duplicates: 0 },
          { accepted: 10, duplicates: 0 },
          { accepted: 5, duplicates: 0 },
        ]);
        const stored = (await t.storage.events.list(t.projectId, {}, { limit: 100 })).events;
        expect(stored.filter((e) => e.eventId === shared).map((e) => e.functionName)).toEqual(['next']);
        expect(stored).toHaveLength(29);
      } finally {
        t.release();
        await t.storage.close();
      }
    }, 60_000);

    test('with one connection in the pool, every batch is still stored', async () => {
      const t = await held(ROLLUPS, { failure, maxConnections: 1 });
      try {
        const [first, second, next] = await firstGroupFailsAfterNext(t);
        expect(await Promise.all([first, second, next])).toEqual(
          Array(3).fill({ accepted: 10, duplicates: 0 }),
        );
      } finally {
        t.release();
        await t.storage.close();
      }
    }, 60_000);

    test('after a deadlock the group is tried again whole, behind the next', async () => {
      const deadlock = Object.assign(new Error('deadlock detected (injected)'), { code: '40P01' });
      const t = await held(ROLLUPS, { failure: deadlock });
      try {
        const [first, second, next] = await firstGroupFailsAfterNext(t);
        expect(await Promise.all([first, second, next])).toEqual(
          Array(3).fill({ accepted: 10, duplicates: 0 }),
        );
        await untilHeard(t.heard, 30);
        expect(t.heard.slice(0, 10)).toEqual(Array(10).fill('next'));
        expect(t.heardSeqs).toEqual([...t.heardSeqs].sort((a, b) => a - b));
      } finally {
        t.release();
        await t.storage.close();
      }
    }, 60_000);

    test.each([
      ['a bad value: its batches are tried alone', '22P05'],
      ['a deadlock: the group is tried whole', '40P01'],
    ])(
      'a group whose INSERT fails (%s) lets none commit before the group still running',
      async (_, code) => {
        const failure = Object.assign(new Error(`${code} (injected)`), { code });
        // Group 1 is held before its rollups; group 2's INSERT (the second) fails.
        const t = await held(ROLLUPS, { failAt: { pattern: EVENTS_INSERT, nth: 2, failure } });
        try {
          const first = t.storage.writer.insert(t.projectId, batch(10, 'first'));
          await t.held;
          const second = t.storage.writer.insert(t.projectId, batch(10, 'second'));
          const third = t.storage.writer.insert(t.projectId, batch(10, 'third'));
          await new Promise((r) => setTimeout(r, 500));
          expect(t.heard).toEqual([]);
          t.release();
          expect(await Promise.all([first, second, third])).toEqual(
            Array(3).fill({ accepted: 10, duplicates: 0 }),
          );
          await untilHeard(t.heard, 30);
          expect(t.heard).toEqual([
            ...Array(10).fill('first'),
            ...Array(10).fill('second'),
            ...Array(10).fill('third'),
          ]);
          expect(t.heardSeqs).toEqual([...t.heardSeqs].sort((a, b) => a - b));
        } finally {
          t.release();
          await t.storage.close();
        }
      },
      60_000,
    );
  });
});
