import { Client } from 'pg';
import { createServer, type AgentSudoServer } from '../src';
import { freshDatabase, openLive, startServer, wire, type LiveClient, type TestServer } from './helpers';

/**
 * Two server instances on one PostgreSQL database, as when scaling out. The tests cut the
 * instances' LISTEN connections with `pg_terminate_backend` while the database refuses new
 * connections (`ALLOW_CONNECTIONS false`), so whatever happens next happens in the gap,
 * however fast an instance tries to reconnect; then they let the instances back in.
 */
describe('PostgreSQL LISTEN after its connection is lost', () => {
  let db: { url: string; drop(): Promise<void> };
  let name: string;
  let admin: Client;
  let a: TestServer;
  let b: AgentSudoServer;
  let bUrl: string;
  const feeds: LiveClient[] = [];

  beforeEach(async () => {
    db = await freshDatabase();
    name = new URL(db.url).pathname.slice(1);
    admin = new Client({ connectionString: process.env.AGENTSUDO_TEST_DATABASE_URL });
    await admin.connect();
    a = await startServer({ databaseUrl: db.url });
    b = await createServer({ databaseUrl: db.url, port: 0 });
    bUrl = await b.listen();
  });

  afterEach(async () => {
    for (const feed of feeds.splice(0)) feed.close();
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await a.server.close();
    await b.close();
    await admin.end();
    await db.drop();
  });

  /** Backend pids of the sessions listening on this database. */
  async function listeners(): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN %'",
      [name],
    );
    return rows.map((r) => r.pid);
  }

  async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Cuts every LISTEN connection and keeps them from coming back until `readmit()`. */
  async function cutListeners(): Promise<void> {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const pids = await listeners();
    expect(pids).toHaveLength(2);
    for (const pid of pids) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await until('the LISTEN sessions are gone', async () => (await listeners()).length === 0);
  }

  async function readmit(): Promise<void> {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await until('both instances listen again', async () => (await listeners()).length === 2);
  }

  async function ingestThroughA(n: number, sent: string[]): Promise<void> {
    const batch = Array.from({ length: n }, () => wire());
    const res = await a.ingest(batch);
    expect(res.status).toBe(200);
    sent.push(...batch.map((e) => e.event_id as string));
  }

  async function liveOnB(): Promise<LiveClient> {
    const feed = await openLive(`${bUrl}/api/projects/${a.projectId}/live`, {
      authorization: `Bearer ${a.readToken}`,
    });
    feeds.push(feed);
    return feed;
  }

  test('after three drops each instance has one LISTEN session, and a live feed on the other instance gets every event once, those stored during the gaps included', async () => {
    const feed = await liveOnB();
    const sent: string[] = [];
    await ingestThroughA(1, sent);
    await feed.waitFor(sent.length);

    for (let drop = 1; drop <= 3; drop++) {
      // A just used its pool, so it still holds a connection to store the gap's events with.
      await ingestThroughA(1, sent);
      await cutListeners();
      await ingestThroughA(5, sent);
      expect(await listeners()).toEqual([]);
      await readmit();
      await feed.waitFor(sent.length, 60_000);
    }

    expect(await listeners()).toHaveLength(2);
    // One more event after the last recovery: a second listener would deliver it twice.
    await ingestThroughA(1, sent);
    await feed.waitFor(sent.length, 60_000);
    const received = feed.events.map((e) => e.event_id as string);
    expect(received.sort()).toEqual([...sent].sort());
  }, 240_000);

  test('a key revoked during the gap is refused by the other instance as soon as it listens again', async () => {
    const res = await fetch(`${bUrl}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': a.apiKey },
      body: JSON.stringify([wire()]),
    });
    expect(res.status).toBe(200); // B now holds the key in its cache
    await ingestThroughA(1, []);

    await cutListeners();
    const { revoked } = await a.server.admin.rotateKey(a.projectId);
    expect(revoked).toEqual([a.apiKey.slice(0, 11)]);
    await readmit();

    const refused = await fetch(`${bUrl}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': a.apiKey },
      body: JSON.stringify([wire()]),
    });
    expect(refused.status).toBe(401);
  }, 120_000);
});
