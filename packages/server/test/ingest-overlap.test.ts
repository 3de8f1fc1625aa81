import { randomUUID } from 'node:crypto';
import {
  openStorageOn,
  PostgresDriver,
  type EventRecord,
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

/**
 * The real driver, with the first transaction statement matching `pattern` after `arm()`
 * held until `release()`; `held` resolves once it is waiting. Every other statement goes
 * straight through (migrations too).
 */
function holdingDriver(real: PostgresDriver, pattern: RegExp) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let holding = false;
  const gate = async (sql: string) => {
    if (holding && pattern.test(sql)) {
      holding = false;
      reached();
      await released;
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
  return { driver, held, release, arm: () => (holding = true) };
}

function batch(n: number, label: string): EventRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: randomUUID(),
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

  /** Storage on a fresh database whose first statement matching `pattern` is held. */
  async function held(pattern: RegExp) {
    const db = await freshDatabase();
    drops.push(() => db.drop());
    const hold = holdingDriver(new PostgresDriver(db.url), pattern);
    const storage: Storage = await openStorageOn(hold.driver, {});
    const projectId = `prj_${randomUUID().slice(0, 8)}`;
    await storage.accounts.createProject({ id: projectId, name: 'p', createdAt: Date.now() });
    const heard: string[] = [];
    storage.live.subscribe(projectId, (events) => heard.push(...events.map((e) => e.functionName!)));
    hold.arm();
    return { storage, projectId, heard, ...hold };
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
});
