import { createEvent, toWire, type SudoEvent } from '@agentsudo/core';
import type { EventSender, SendOutcome } from '@agentsudo/transport-cloud';
import {
  checkEvent,
  cleanup,
  makeTransport,
  readSpool,
  tempDir,
  useReceiver,
  sleep,
  withStderr,
  writeSpoolFile,
} from './helpers';
import type { Receiver } from './receiver';

/** An event whose scope says whether the dashboard will refuse it. */
function scoped(scope: string, metadata?: Record<string, unknown>): SudoEvent {
  return createEvent({ agentName: 'Bot', action: 'permission_check', allowed: true, scope, metadata });
}

const poison = (e: Record<string, unknown>) => (String(e.scope).startsWith('poison:') ? 'scope' : undefined);

/** Eight events, the sixth of them poison. */
function batchWithPoison(): SudoEvent[] {
  return Array.from({ length: 8 }, (_, i) => scoped(`${i === 5 ? 'poison' : 'ok'}:${i}`));
}
const OK_SCOPES = ['ok:0', 'ok:1', 'ok:2', 'ok:3', 'ok:4', 'ok:6', 'ok:7'];

describe('a poison event is dropped with its reason, the rest delivered', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r));

  it('a 422 drops only the event it names', async () => {
    receiver.refuse = poison;
    receiver.refuseStatus = 422;
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 8 });
    batchWithPoison().forEach((e) => cloud.log(e));
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.stored.map((e) => e.scope)).toEqual(OK_SCOPES);
    expect(cloud.stats().dropped).toMatchObject({ rejected: 1, total: 1 });
  });

  it('a 400 naming nothing, for a lone event, drops that event and the next one goes', async () => {
    receiver.refuse = poison;
    receiver.nameField = false;
    const cloud = makeTransport({ endpoint: receiver.url, asyncSend: false });
    cloud.log(scoped('poison:0'));
    cloud.log(scoped('ok:1'));
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.stored.map((e) => e.scope)).toEqual(['ok:1']);
    expect(cloud.stats().dropped).toMatchObject({ rejected: 1, total: 1 });
  });

  it('a 5xx that keeps coming back for one event: the rest go, it is set aside, and dropped (server_error) only after 5 tries while other events went through', async () => {
    receiver.refuse = poison;
    receiver.refuseStatus = 500;
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, batchSize: 8, setAsideAfterMs: 20 });
      batchWithPoison().forEach((e) => cloud.log(e));
      await receiver.waitFor('the good events', () => receiver.stored.length === 7, 20_000);
      expect(receiver.stored.map((e) => e.scope)).toEqual(OK_SCOPES);
      expect(cloud.stats()).toMatchObject({ setAside: 1, dropped: { total: 0 } });
      expect(stderr()).toContain('it was set aside in the spool');
      // A live process: other events keep going through between the set-aside event's tries.
      for (let i = 0; cloud.stats().dropped.server_error === 0; i++) {
        if (i >= 1000) throw new Error('the set-aside event was never dropped');
        cloud.log(scoped(`ok:live-${i}`));
        await sleep(25);
      }
      expect(cloud.stats().dropped).toMatchObject({ server_error: 1, total: 1 });
      expect(stderr()).toContain('failed on one event 5 times');
      expect(receiver.requests.some((r) => r.text === '[]')).toBe(false);
      expect(await cloud.flush(5000)).toBe(true);
    });
  });

  it('a database outage (every event 503, an empty batch fine) drops nothing, however long: all is delivered after', async () => {
    // What the real server does while its event table is locked: the insert fails, `[]` needs none.
    receiver.refuse = () => 'database';
    receiver.refuseStatus = 503;
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 8, setAsideAfterMs: 20 });
    const events = batchWithPoison();
    events.forEach((e) => cloud.log(e));
    // Long enough to split down to lone events, set each aside and retry each many times.
    await receiver.waitFor(
      'many failed tries (or a drop)',
      () => receiver.requests.length >= 150 || cloud.stats().dropped.total > 0,
      60_000,
    );
    expect(cloud.stats()).toMatchObject({ setAside: 8, dropped: { total: 0 } });
    receiver.refuse = undefined;
    await receiver.waitFor('every event delivered', () => receiver.stored.length === 8, 30_000);
    expect(receiver.ids().sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(cloud.stats().dropped.total).toBe(0);
    expect(await cloud.flush(5000)).toBe(true);
  });

  it('a 429 after a run of 503s asks for patience: the event waits and is delivered, not dropped', async () => {
    // A gateway: 503 while the backend restarts, then one 429 Retry-After: 1.
    receiver.respond(
      ...Array.from({ length: 5 }, () => ({ status: 503 })),
      {},
      { status: 429, retryAfter: '1' },
    );
    const cloud = makeTransport({ endpoint: receiver.url, asyncSend: false });
    const event = scoped('ok:0');
    cloud.log(event);
    expect(await cloud.flush(20_000)).toBe(true);
    expect(receiver.ids()).toEqual([event.eventId]);
    expect(cloud.stats().dropped.total).toBe(0);
  });

  it('a server that answers 500 to everything is down, not poisoned: nothing is dropped', async () => {
    receiver.fallback = { status: 500 };
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 8 });
    const events = batchWithPoison();
    events.forEach((e) => cloud.log(e));
    // Two rounds of five failures and an empty-batch probe, all refused.
    await receiver.waitFor('a dozen failed requests', () => receiver.requests.length >= 12);
    expect(cloud.stats().dropped.total).toBe(0);
    receiver.fallback = {};
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.ids()).toEqual(events.map((e) => e.eventId));
    expect(cloud.stats().dropped.total).toBe(0);
  });

  it('an event whose metadata cannot become JSON (circular, BigInt) is dropped; its batch and later ones go', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, batchSize: 4 });
      cloud.log(scoped('ok:0'));
      cloud.log(scoped('bad:circular', circular));
      cloud.log(scoped('bad:bigint', { amount: BigInt(10) }));
      cloud.log(scoped('ok:3'));
      expect(await cloud.flush(5000)).toBe(true);
      cloud.log(scoped('ok:later'));
      expect(await cloud.flush(5000)).toBe(true);
      expect(receiver.stored.map((e) => e.scope)).toEqual(['ok:0', 'ok:3', 'ok:later']);
      expect(cloud.stats().dropped).toMatchObject({ unserializable: 2, total: 2 });
      expect(stderr()).toContain('could not be turned into JSON');
    });
  });

  it('an unserialisable event never costs the spool its chunk', async () => {
    await receiver.stop();
    const dir = tempDir();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir, batchSize: 100 });
    const good = [checkEvent(1), checkEvent(2)];
    cloud.log(good[0]);
    cloud.log(scoped('bad:circular', circular));
    cloud.log(good[1]);
    await cloud.close(50);
    expect(readSpool(dir).map((e) => e.event_id)).toEqual(good.map((e) => e.eventId));
    expect(cloud.stats()).toMatchObject({ spooled: 2, dropped: { unserializable: 1, total: 1 } });
  });

  it.each([
    ['400', 400],
    ['422', 422],
  ])(
    'spooled poison (%s) is dropped at replay and its file removed: the next start sends nothing again',
    async (_, status) => {
      receiver.refuse = poison;
      receiver.refuseStatus = status;
      const dir = tempDir();
      const lines = batchWithPoison().map((e) => JSON.stringify(toWire(e)));
      writeSpoolFile(dir, receiver.url, lines);
      const first = makeTransport({ endpoint: receiver.url, spoolDir: dir });
      expect(await first.flush(20_000)).toBe(true);
      expect(receiver.stored.map((e) => e.scope)).toEqual(OK_SCOPES);
      expect(first.stats().dropped.total).toBe(1);
      expect(readSpool(dir)).toEqual([]);
      await first.close(0);

      const requests = receiver.requests.length;
      const second = makeTransport({ endpoint: receiver.url, spoolDir: dir });
      expect(await second.flush(5000)).toBe(true);
      expect(receiver.requests.length).toBe(requests);
    },
  );
});

describe('the same delivery rules with any sender (no HTTP)', () => {
  afterEach(cleanup);

  /** An in-memory dashboard: fails with 500 on any body holding a poison event, takes the rest. */
  function memoryDashboard(): { sender: EventSender; stored: Record<string, unknown>[]; bodies: string[] } {
    const stored: Record<string, unknown>[] = [];
    const bodies: string[] = [];
    const sender: EventSender = {
      url: 'memory:',
      prepare: async (json) => ({ body: json, gzip: false }),
      post: async ({ body }): Promise<SendOutcome> => {
        const text = String(body);
        bodies.push(text);
        const events = JSON.parse(text) as Record<string, unknown>[];
        if (events.length > 3) return { kind: 'too_large' };
        if (events.some((e) => poison(e))) return { kind: 'retry', reason: 'HTTP 500', status: 500 };
        stored.push(...events);
        return { kind: 'ok', duplicates: 0 };
      },
      abort: () => undefined,
    };
    return { sender, stored, bodies };
  }

  it('splits what is too large and sets aside the event a server keeps failing on', async () => {
    const dashboard = memoryDashboard();
    const cloud = makeTransport(
      { endpoint: 'http://127.0.0.1:9', batchSize: 8, setAsideAfterMs: 20 },
      () => dashboard.sender,
    );
    batchWithPoison().forEach((e) => cloud.log(e));
    for (let i = 0; dashboard.stored.length < 7; i++) {
      if (i >= 1000) throw new Error('the good events never went');
      await sleep(20);
    }
    expect(dashboard.stored.map((e) => e.scope)).toEqual(OK_SCOPES);
    expect(cloud.stats()).toMatchObject({ setAside: 1, dropped: { total: 0 } });
    expect(dashboard.bodies).not.toContain('[]');
  });
});
