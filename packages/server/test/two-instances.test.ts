import { createServer, type AgentSudoServer } from '../src';
import { DeliveredSeqs } from '../src/storage/delivered-seqs';
import { freshDatabase, openLive, startServer, wire, type LiveClient, type TestServer } from './helpers';

/**
 * Two server instances on one PostgreSQL database, both taking ingest at once, as behind a
 * round-robin load balancer: each stores its own group commits and NOTIFYs their seqs, and
 * every instance's live feeds hear both.
 */
describe('two instances on one PostgreSQL, both ingesting', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: TestServer;
  let b: AgentSudoServer;
  let bUrl: string;
  const feeds: LiveClient[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    a = await startServer({ databaseUrl: db.url });
    b = await createServer({ databaseUrl: db.url, port: 0 });
    bUrl = await b.listen();
  });

  afterAll(async () => {
    for (const feed of feeds.splice(0)) feed.close();
    await a?.server.close();
    await b?.close();
    await db?.drop();
  });

  async function live(url: string): Promise<LiveClient> {
    const feed = await openLive(`${url}/api/projects/${a.projectId}/live`, {
      authorization: `Bearer ${a.readToken}`,
    });
    feeds.push(feed);
    return feed;
  }

  /** POSTs a batch through the instance at `url`; returns its event ids once stored. */
  async function ingest(url: string, batch: Array<Record<string, unknown>>): Promise<string[]> {
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': a.apiKey },
      body: JSON.stringify(batch),
    });
    expect(res.status).toBe(200);
    return batch.map((e) => e.event_id as string);
  }

  test('a live feed on either instance sees every event exactly once while both ingest', async () => {
    const onA = await live(a.url);
    const onB = await live(bUrl);
    // More events than an instance remembers as delivered (10,000), from 3 clients per
    // instance at once, so the two instances' commits interleave and land out of seq order.
    const sent: string[] = [];
    // The feeds are read in this process, which also runs both servers and the clients: on a
    // busy machine they fall behind, and the server cuts off a feed more than 1 MiB behind (as
    // it would a slow browser, which reconnects with Last-Event-ID). So a client waits while
    // a feed is over 1,000 events behind: at most 1,600 (about 600 KB) are ever queued.
    const behind = () => Math.max(...[onA, onB].map((feed) => sent.length - feed.events.length));
    let cutOff = false;
    for (const feed of [onA, onB]) void feed.ended.then(() => (cutOff = true));
    const client = async (url: string, name: string) => {
      for (let i = 0; i < 20; i++) {
        while (behind() > 1000) {
          if (cutOff) throw new Error('a live feed was cut off while the clients waited for it');
          await new Promise((r) => setTimeout(r, 10));
        }
        sent.push(
          ...(await ingest(
            url,
            Array.from({ length: 100 }, () => wire({ agent_name: name })),
          )),
        );
      }
    };
    await Promise.all([
      ...[1, 2, 3].map((n) => client(a.url, `viaA-${n}`)),
      ...[1, 2, 3].map((n) => client(bUrl, `viaB-${n}`)),
    ]);
    expect(sent).toHaveLength(12_000);
    // One last event through each, after every other was stored: notices come in commit
    // order, so once both are on a feed anything sent twice would be there too.
    sent.push(...(await ingest(a.url, [wire({ agent_name: 'lastViaA' })])));
    sent.push(...(await ingest(bUrl, [wire({ agent_name: 'lastViaB' })])));
    for (const feed of [onA, onB]) {
      await waitForAgents(feed, ['lastViaA', 'lastViaB']);
      const received = feed.events.map((e) => e.event_id as string);
      expect(received).toHaveLength(sent.length);
      expect([...received].sort()).toEqual([...sent].sort());
    }
  }, 240_000);
});

/** Waits until events of every named agent reached the feed. */
async function waitForAgents(feed: LiveClient, agents: string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const arrived = () => agents.every((name) => feed.events.some((e) => e.agent_name === name));
  while (!arrived() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!arrived()) throw new Error(`the events of ${agents.join(' and ')} never reached the live feed`);
}

describe('the seqs an instance remembers as delivered', () => {
  test('the newest 10,000 heard are remembered; older ones count as delivered and raise the floor', () => {
    const seen = new DeliveredSeqs();
    // Heard out of seq order, as commits of two instances arrive.
    const heard = Array.from({ length: 25_000 }, (_, i) => (i % 2 ? i : i + 2));
    for (const seq of heard) seen.add(seq);
    for (const seq of heard.slice(-10_000)) expect(seen.add(seq)).toBe(false);
    expect(seen.floor()).toBe(Math.max(...heard.slice(0, -10_000)));
    // Forgotten, so a notice repeating it would be sent again: replays start above the floor.
    expect(seen.add(heard[0])).toBe(true);
  });
});
