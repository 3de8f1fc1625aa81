import { PostgresDriver } from '../src';
import { freshDatabase } from './helpers';
import { startSilentProxy, type SilentProxy } from './silent-proxy';

/**
 * Instance A reaches PostgreSQL through a path that can go silent (see {@link SilentProxy});
 * instance B writes directly. Timeouts are short here so the tests wait seconds, not minutes;
 * every wait is for a condition, with a generous limit for a loaded machine.
 */
describe('PostgreSQL through a path that goes silent', () => {
  let db: { url: string; drop(): Promise<void> };
  let proxy: SilentProxy;
  const drivers: PostgresDriver[] = [];

  beforeEach(async () => {
    db = await freshDatabase();
    proxy = await startSilentProxy(db.url);
  });

  afterEach(async () => {
    await proxy.setMode('pass');
    for (const d of drivers.splice(0)) await d.close();
    await proxy.stop();
    await db.drop();
  });

  function driver(
    url: string,
    options: ConstructorParameters<typeof PostgresDriver>[1] = {},
  ): PostgresDriver {
    const d = new PostgresDriver(url, options);
    drivers.push(d);
    return d;
  }

  async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A listens through the proxy; B notifies directly. */
  async function listening(options: { heartbeatMs?: number; connectTimeoutMs?: number }) {
    const a = driver(proxy.url, options);
    const b = driver(db.url);
    const seen = { heard: [] as string[], lost: 0, resumed: 0 };
    await a.notifications!.listen({
      payload: (p) => seen.heard.push(p),
      lost: () => seen.lost++,
      resumed: () => seen.resumed++,
    });
    const notify = (payload: string) => b.transaction((tx) => b.notifications!.notify(tx, payload));
    await notify('before');
    await until('A hears what B sends', () => seen.heard.includes('before'));
    return { a, seen, notify };
  }

  test('a LISTEN connection whose path goes silent is counted lost, and listens again once the path answers', async () => {
    const { seen, notify } = await listening({ heartbeatMs: 300, connectTimeoutMs: 1_000 });

    const { accepted } = await proxy.setMode('silent');
    await notify('unheard');
    await until('A notices the silence', () => seen.lost === 1);
    await until(
      'A tries to listen again, into the silence',
      async () => (await proxy.counts()).accepted > accepted,
    );
    await proxy.setMode('pass');
    await until('A listens again', () => seen.resumed === 1);
    await notify('after');
    await until('A hears what B sends after the silence', () => seen.heard.includes('after'));

    expect(seen.lost).toBe(1);
    expect(seen.heard).not.toContain('unheard');
  }, 120_000);

  test('after a cut, an attempt to listen again that gets no answer gives up and tries again', async () => {
    const { seen, notify } = await listening({ connectTimeoutMs: 1_000 });

    await proxy.setMode('silent');
    const { accepted } = await proxy.cut();
    await until('A notices the cut', () => seen.lost === 1);
    await until(
      'A tries to listen again, into the silence',
      async () => (await proxy.counts()).accepted > accepted,
    );
    await proxy.setMode('pass');
    await until('A listens again', () => seen.resumed === 1);
    await notify('after');
    await until('A hears what B sends after the cut', () => seen.heard.includes('after'));
  }, 120_000);

  test('close() ends an attempt to listen again that is still waiting for an answer', async () => {
    const { a, seen } = await listening({ connectTimeoutMs: 600_000 });

    await proxy.setMode('silent');
    const { accepted } = await proxy.cut();
    await until('A notices the cut', () => seen.lost === 1);
    await until(
      'A tries to listen again, into the silence',
      async () => (await proxy.counts()).accepted > accepted,
    );
    drivers.splice(drivers.indexOf(a), 1);
    await a.close();

    // An open connection from A would keep its process alive after close().
    await until('A has no connection open through the proxy', async () => (await proxy.counts()).open === 0);
  }, 120_000);

  test('a query through a silent path fails after queryTimeoutMs, and the driver answers again once the path does', async () => {
    const a = driver(proxy.url, { queryTimeoutMs: 500, connectTimeoutMs: 1_000 });
    expect(await a.all('SELECT 1 AS n')).toEqual([{ n: 1 }]);

    await proxy.setMode('silent');
    await expect(a.all('SELECT 2 AS n')).rejects.toThrow(/timeout/i);
    await expect(a.transaction((tx) => tx.all('SELECT 3 AS n'))).rejects.toThrow(/timeout/i);
    await proxy.setMode('pass');

    expect(await a.all('SELECT 4 AS n')).toEqual([{ n: 4 }]);
    expect(await a.transaction((tx) => tx.all('SELECT 5 AS n'))).toEqual([{ n: 5 }]);
  }, 120_000);
});
