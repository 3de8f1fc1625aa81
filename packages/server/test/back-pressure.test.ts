import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createEvent } from '@agentsudo/core';
import { CloudTransport, HttpSender, type EventSender, type SendOutcome } from '@agentsudo/transport-cloud';
import { createServer, InvalidInputError } from '../src';
import { freshDatabase, jsonOf, startServer, tempDir, wire, type TestServer } from './helpers';

/*
 * When the database is slower than the traffic, ingest refuses whole batches with 503 and
 * Retry-After once the writer holds maxPendingEvents, or once the batch's project holds half
 * of it, instead of holding ever more in memory; every batch it acknowledged is stored
 * exactly once. The stall is real: a second connection holds
 * `LOCK TABLE events IN ACCESS EXCLUSIVE MODE` for 10 s.
 */

const STALL_MS = 10_000;
const BOUND = 2000;
const BATCH = 100;
/** 3,000 events in flight over 3 projects: more than the bound, so some clients must be refused. */
const CLIENTS = 30;
const PROJECTS = 3;
/** Bounds of the load loop: batches per client, tries per batch. */
const MAX_BATCHES = 40;
const MAX_TRIES = 60;

/** A project's clients that ignore Retry-After: 2,500 events, more than the whole bound. */
const FLOODERS = 25;
const FLOOD_PAUSE_MS = 20;
const FLOOD_TRIES = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, failing at `deadline` (ms since the epoch). */
async function waitFor(condition: () => boolean, deadline: number): Promise<void> {
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${condition.toString()}`);
    await sleep(20);
  }
}

/** A connection that holds every write to `events` back until `release()`. */
async function lockEvents(url: string): Promise<{ release(): Promise<void> }> {
  const locker = new Client({ connectionString: url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
  return {
    async release() {
      await locker.query('COMMIT');
      await locker.end();
    },
  };
}

/** Event ids stored for a project, with how many times each is there. */
async function storedIds(url: string, projectId: string): Promise<Map<string, number>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ event_id: string; n: string }>(
      'SELECT event_id, count(*) AS n FROM events WHERE project_id = $1 GROUP BY event_id',
      [projectId],
    );
    return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
  } finally {
    await c.end();
  }
}

describe('back-pressure on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let t: TestServer;

  beforeEach(async () => {
    db = await freshDatabase();
    t = await startServer({ databaseUrl: db.url }, { maxPendingEvents: BOUND });
  });
  afterEach(async () => {
    await t.server.close();
    await db.drop();
  });

  test('a 10 s table lock: ingest answers 503 with Retry-After at the bound, and every acknowledged event is stored once', async () => {
    const writer = t.server.storage.writer;
    // Three projects, each of which alone may hold half the bound: together they can fill it.
    const projects = [{ id: t.projectId, apiKey: t.apiKey }];
    for (let p = 1; p < PROJECTS; p++) {
      const { project, apiKey } = await t.server.admin.createProject(`busy-${p}`);
      projects.push({ id: project.id, apiKey });
    }
    const lock = await lockEvents(db.url);
    let stalled = true;
    const acknowledged = new Map<string, string[]>(projects.map((p) => [p.id, []]));
    const refusals: Array<{ retryAfter: string | null; body: any; stalled: boolean }> = [];
    let answeredWhileStalled = 0;
    let highestSeen = 0;

    // Each client sends a batch, and sends the same batch again after Retry-After when it is
    // refused, as a client should; it starts new batches only while the table is locked.
    const client = async (_: unknown, c: number) => {
      const project = projects[c % PROJECTS];
      for (let b = 0; b < MAX_BATCHES && stalled; b++) {
        const batch = Array.from({ length: BATCH }, () => wire());
        for (let tries = 0; ; tries++) {
          expect(tries).toBeLessThan(MAX_TRIES);
          const res = await t.ingest(batch, { 'x-api-key': project.apiKey });
          highestSeen = Math.max(highestSeen, writer.pendingEvents);
          if (res.status === 503) {
            refusals.push({ retryAfter: res.headers.get('retry-after'), body: await jsonOf(res), stalled });
            await sleep(Number(res.headers.get('retry-after')) * 1000);
            continue;
          }
          expect(res.status).toBe(200);
          if (stalled) answeredWhileStalled++;
          expect(await res.json()).toEqual({ accepted: BATCH, duplicates: 0 });
          acknowledged.get(project.id)!.push(...batch.map((e) => e.event_id as string));
          break;
        }
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, client));
    // The gauge, sampled while the lock holds: never over the bound.
    const until = Date.now() + STALL_MS;
    while (Date.now() < until) {
      highestSeen = Math.max(highestSeen, writer.pendingEvents);
      await sleep(50);
    }
    stalled = false;
    await lock.release();
    await load;

    // While the table was locked nothing was stored, and clients past the bound were refused.
    expect(answeredWhileStalled).toBe(0);
    const whileStalled = refusals.filter((r) => r.stalled);
    expect(whileStalled.length).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(r.retryAfter).toBe('1');
      expect(r.body).toEqual({
        error: 'overloaded',
        message: expect.stringContaining('send it again after 1 s'),
      });
    }
    // Memory stayed bounded: the writer filled up to its bound and never went over it.
    expect(highestSeen).toBeLessThanOrEqual(BOUND);
    expect(writer.peakPendingEvents).toBeLessThanOrEqual(BOUND);
    expect(writer.peakPendingEvents).toBeGreaterThan(BOUND - BATCH);
    expect(writer.pendingEvents).toBe(0);

    // Every acknowledged event is stored exactly once; nothing else is (refused batches were
    // refused whole, and stored only when sent again).
    expect([...acknowledged.values()].flat().length).toBeGreaterThanOrEqual(BOUND);
    for (const [projectId, ids] of acknowledged) {
      const stored = await storedIds(db.url, projectId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(stored.size).toBe(ids.length);
      for (const id of ids) expect(stored.get(id)).toBe(1);
    }
  }, 120_000);

  test('one project flooding past Retry-After holds at most half the bound; another is still acknowledged up to the global bound, and every acknowledged event of both is stored once', async () => {
    const writer = t.server.storage.writer;
    const share = BOUND / 2;
    const patient = await t.server.admin.createProject('patient');
    const lock = await lockEvents(db.url);
    const lockedAt = Date.now();
    let stalled = true;
    const ids = (batch: Array<Record<string, unknown>>) => batch.map((e) => e.event_id as string);

    // Project A: more clients than the whole bound holds; a refused one sends its batch again
    // after FLOOD_PAUSE_MS, ignoring Retry-After, for as long as the table is locked.
    const flooded: string[] = [];
    const floodRefusals: any[] = [];
    let highestOfA = 0;
    const flooder = async () => {
      const batch = Array.from({ length: BATCH }, () => wire());
      for (let tries = 0; tries < FLOOD_TRIES && stalled; tries++) {
        const res = await t.ingest(batch);
        highestOfA = Math.max(highestOfA, writer.pendingEventsOf(t.projectId));
        if (res.status === 200) {
          flooded.push(...ids(batch));
          return;
        }
        expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
        floodRefusals.push(await jsonOf(res));
        await sleep(FLOOD_PAUSE_MS);
      }
    };
    const flood = Promise.all(Array.from({ length: FLOODERS }, flooder));
    await waitFor(() => floodRefusals.length > 0, lockedAt + STALL_MS / 2);

    // Project B: batches filling the rest of the bound, each sent again after Retry-After if
    // refused, as a client should.
    const patientAcknowledged: string[] = [];
    const patientRefusedWhileStalled: any[] = [];
    const patientClient = async () => {
      const batch = Array.from({ length: BATCH }, () => wire());
      for (let tries = 0; ; tries++) {
        expect(tries).toBeLessThan(MAX_TRIES);
        const res = await t.ingest(batch, { 'x-api-key': patient.apiKey });
        if (res.status === 503) {
          if (stalled) patientRefusedWhileStalled.push(await jsonOf(res));
          await sleep(Number(res.headers.get('retry-after')) * 1000);
          continue;
        }
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ accepted: BATCH, duplicates: 0 });
        patientAcknowledged.push(...ids(batch));
        return;
      }
    };
    const patientLoad = Promise.all(Array.from({ length: (BOUND - share) / BATCH }, patientClient));
    // Once B holds the rest, the writer is at its global bound: a third project, holding
    // nothing, is refused too.
    await waitFor(() => writer.pendingEvents === BOUND, lockedAt + STALL_MS - 1000);
    const late = await t.server.admin.createProject('late');
    const pastTheBound = Array.from({ length: BATCH }, () => wire());
    const refusedAtBound = await t.ingest(pastTheBound, { 'x-api-key': late.apiKey });
    const overGlobal = { status: refusedAtBound.status, body: await jsonOf(refusedAtBound) };

    while (Date.now() < lockedAt + STALL_MS) await sleep(50);
    stalled = false;
    await lock.release();
    await Promise.all([flood, patientLoad]);

    // B was never refused while it fitted; A never held more than its half, and was told so.
    expect(patientRefusedWhileStalled).toEqual([]);
    expect(highestOfA).toBe(share);
    expect(floodRefusals.length).toBeGreaterThan(0);
    for (const body of floodRefusals)
      expect(body).toEqual({
        error: 'overloaded',
        message: expect.stringContaining(
          `of this project are waiting to be stored (at most ${share} per project)`,
        ),
      });
    expect(patientAcknowledged).toHaveLength(BOUND - share);
    expect(overGlobal).toEqual({
      status: 503,
      body: {
        error: 'overloaded',
        message: expect.stringContaining(`${BOUND} events are waiting to be stored (at most ${BOUND})`),
      },
    });
    expect(writer.peakPendingEvents).toBe(BOUND);
    expect([writer.pendingEvents, writer.pendingProjects]).toEqual([0, 0]);

    // Every acknowledged event of both projects is stored exactly once, and nothing refused is.
    expect(flooded).toHaveLength(share);
    for (const [projectId, acknowledged] of [
      [t.projectId, flooded],
      [patient.project.id, patientAcknowledged],
      [late.project.id, []],
    ] as const) {
      const stored = await storedIds(db.url, projectId);
      expect(stored.size).toBe(acknowledged.length);
      for (const id of acknowledged) expect(stored.get(id)).toBe(1);
    }
  }, 120_000);
});

describe('the cloud transport against a stalled server on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let t: TestServer;
  const spool = tempDir();

  beforeEach(async () => {
    db = await freshDatabase();
    t = await startServer({ databaseUrl: db.url }, { maxPendingEvents: 1000 });
  });
  afterEach(async () => {
    await t.server.close();
    await db.drop();
    spool.remove();
  });

  test('holds its events back for Retry-After while ingest answers 503, then delivers each exactly once', async () => {
    const writer = t.server.storage.writer;
    const lock = await lockEvents(db.url);
    const lockedAt = Date.now();
    // Other clients fill the writer to its bound; their batches wait for the lock.
    const fillers = Array.from({ length: 10 }, () => Array.from({ length: 100 }, () => wire()));
    const filling = fillers.map((batch) => t.ingest(batch));
    while (writer.pendingEvents < 1000) await sleep(20);

    // Every request the transport makes, as it went (the real HTTP sender, observed).
    const posts: Array<{ at: number; outcome: SendOutcome }> = [];
    const observed = (sender: EventSender): EventSender => ({
      url: sender.url,
      prepare: (json) => sender.prepare(json),
      abort: () => sender.abort(),
      post: async (body) => {
        const outcome = await sender.post(body);
        posts.push({ at: Date.now(), outcome });
        return outcome;
      },
    });
    // Set aside after 5 failures at once (1 ms): a 503 with Retry-After is load, not a bad event,
    // so the batch must stay whole and in line however long it is refused.
    const transport = new CloudTransport(
      { apiKey: t.apiKey, endpoint: t.url, spoolDir: spool.dir, batchSize: 100, setAsideAfterMs: 1 },
      (o) => observed(new HttpSender(o)),
    );
    try {
      const events = Array.from({ length: 100 }, (_, i) =>
        createEvent({
          agentName: 'PatientBot',
          action: 'permission_check',
          allowed: true,
          scope: `read:item-${i}`,
        }),
      );
      for (const e of events) transport.log(e);
      const deadline = lockedAt + STALL_MS;
      while (Date.now() < deadline) await sleep(50);
      const whileStalled = posts.length;
      await lock.release();
      expect(await transport.flush(60_000)).toBe(true);
      for (const res of await Promise.all(filling)) expect(res.status).toBe(200);

      // While the table was locked every try was refused with 503 and Retry-After: 1 …
      expect(whileStalled).toBeGreaterThanOrEqual(5);
      for (const { outcome } of posts.slice(0, whileStalled))
        expect(outcome).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 1000 });
      // … and the transport waited at least that long before each next try.
      for (let i = 1; i < posts.length; i++)
        expect(posts[i].at - posts[i - 1].at).toBeGreaterThanOrEqual(990);
      // The batch stayed whole: nothing split, set aside or dropped; all of it delivered once.
      expect(posts.at(-1)!.outcome).toEqual({ kind: 'ok', duplicates: 0 });
      expect(transport.stats()).toMatchObject({ sent: 100, setAside: 0, dropped: { total: 0 } });
      expect(posts).toHaveLength(transport.stats().requests);
      const stored = await storedIds(db.url, t.projectId);
      for (const e of events) expect(stored.get(e.eventId)).toBe(1);
      expect(stored.size).toBe(100 + 1000);
    } finally {
      await transport.close();
    }
  }, 120_000);
});

/**
 * Another process holding the SQLite file's write lock (`BEGIN EXCLUSIVE`) for `ms`; resolves
 * once it holds it, and `released` once it let go.
 */
async function lockSqlite(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(file)});
       db.exec('BEGIN EXCLUSIVE'); console.log('locked');
       setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const released = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  await new Promise((resolve, reject) => {
    holder.stdout!.once('data', resolve);
    holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking`)));
  });
  return { released };
}

describe('back-pressure on SQLite', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  test('another process holding the write lock for 10 s: ingest answers 503 with Retry-After, never 500, and every acknowledged event is stored once', async () => {
    const file = join(dir.dir, 'stalled.db');
    const t = await startServer({ db: file }, { maxPendingEvents: 1000 });
    try {
      const { released } = await lockSqlite(file, STALL_MS);
      let holding = true;
      void released.then(() => (holding = false));
      const acknowledged: string[] = [];
      const refusals: Array<{ status: number; retryAfter: string | null; body: any }> = [];
      // The same clients as on PostgreSQL, fewer: SQLite's writer waits for the lock with the
      // event loop blocked (busy_timeout), so nothing is read meanwhile and memory stays bounded.
      const client = async () => {
        for (let b = 0; b < MAX_BATCHES && holding; b++) {
          const batch = Array.from({ length: BATCH }, () => wire());
          for (let tries = 0; ; tries++) {
            expect(tries).toBeLessThan(MAX_TRIES);
            const res = await t.ingest(batch);
            if (res.status === 200) {
              acknowledged.push(...batch.map((e) => e.event_id as string));
              break;
            }
            refusals.push({
              status: res.status,
              retryAfter: res.headers.get('retry-after'),
              body: await jsonOf(res),
            });
            if (res.status !== 503) break;
            await sleep(Number(res.headers.get('retry-after')) * 1000);
          }
        }
      };
      await Promise.all(Array.from({ length: 10 }, client));
      await released;

      // A batch that met the lock was refused as busy, to be sent again; none failed with a 500.
      expect(refusals.length).toBeGreaterThan(0);
      for (const r of refusals) {
        expect(r).toMatchObject({ status: 503, retryAfter: '1' });
        expect(r.body).toEqual({
          error: 'database_busy',
          message: expect.stringContaining('SQLITE_BUSY'),
        });
      }
      expect(t.server.storage.writer.peakPendingEvents).toBeLessThanOrEqual(1000);
      expect(t.server.storage.writer.pendingEvents).toBe(0);
      const db = new Database(file, { readonly: true });
      try {
        const rows = db
          .prepare('SELECT event_id, count(*) AS n FROM events WHERE project_id = ? GROUP BY event_id')
          .all(t.projectId) as Array<{ event_id: string; n: number }>;
        const stored = new Map(rows.map((r) => [r.event_id, r.n]));
        expect(stored.size).toBe(acknowledged.length);
        for (const id of acknowledged) expect(stored.get(id)).toBe(1);
      } finally {
        db.close();
      }
    } finally {
      await t.server.close();
    }
  }, 120_000);
});

describe('maxPendingEvents', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  test.each([0, 999, 1500.5, -1, Number.NaN, '5000' as unknown as number])(
    'a bad value (%p) is refused naming the option, before any database is opened',
    async (value) => {
      const file = `${dir.dir}/never-made.db`;
      const made = createServer({ db: file, port: 0, maxPendingEvents: value });
      await expect(made).rejects.toThrow(InvalidInputError);
      await expect(made).rejects.toThrow(/maxPendingEvents .*at least 1000/);
      await expect(made).rejects.toMatchObject({ field: 'maxPendingEvents', value });
      expect(existsSync(file)).toBe(false);
    },
  );
});
