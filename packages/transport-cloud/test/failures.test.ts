import { createEvent } from '@agentsudo/core';
import { backoffDelay, parseRetryAfter } from '../src/backoff';
import { withStderr, checkEvent, makeTransport, sleep, useReceiver } from './helpers';
import type { Receiver } from './receiver';

describe('when the dashboard fails', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r));

  it('retries a 500 with backoff until the batch is accepted', async () => {
    receiver.respond({ status: 500 }, { status: 503 }, { status: 502 });
    const cloud = makeTransport({ endpoint: receiver.url, maxBackoffMs: 2000 });
    for (let i = 0; i < 3; i++) cloud.log(checkEvent(i));
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 503, 502, 200]);
    expect(receiver.stored).toHaveLength(3);
    expect(cloud.stats()).toMatchObject({ sent: 3, retried: 9, requests: 4, lastError: 'HTTP 502' });
    // Each wait is at least half its doubling ceiling (250, 500, 1000 ms): 125, 250, 500.
    const at = receiver.requests.map((r) => r.at);
    const waits = at.slice(1).map((t, i) => t - at[i]);
    expect(waits[0]).toBeGreaterThanOrEqual(120);
    expect(waits[1]).toBeGreaterThanOrEqual(245);
    expect(waits[2]).toBeGreaterThanOrEqual(495);
  });

  it('waits as long as Retry-After asks after a 429, even past maxBackoffMs', async () => {
    receiver.respond({ status: 429, retryAfter: '1' });
    const cloud = makeTransport({ endpoint: receiver.url, maxBackoffMs: 10 });
    cloud.log(checkEvent(1));
    expect(await cloud.flush(10_000)).toBe(true);
    const [limited, accepted] = receiver.requests;
    expect(limited.status).toBe(429);
    expect(accepted.at - limited.at).toBeGreaterThanOrEqual(950);
    expect(receiver.stored).toHaveLength(1);
  });

  it('retries a dropped connection', async () => {
    receiver.respond({ drop: true }, { drop: true });
    const cloud = makeTransport({ endpoint: receiver.url });
    cloud.log(checkEvent(1));
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.stored).toHaveLength(1);
    expect(cloud.stats().retried).toBe(2);
  });

  it('retries a request that times out; the replay is recognised by event_id', async () => {
    receiver.respond({ delayMs: 1500 });
    const cloud = makeTransport({ endpoint: receiver.url, requestTimeoutMs: 500 });
    const event = checkEvent(1);
    cloud.log(event);
    expect(await cloud.flush(10_000)).toBe(true);
    await receiver.waitFor('the slow first copy', () => receiver.requests.length === 2);
    expect(cloud.stats().lastError).toMatch(/timeout/);
    expect(receiver.ids()).toEqual([event.eventId]);
    expect(receiver.deliveries.get(event.eventId)).toBe(2);
  });

  it('on 401 stops sending, says so once, and keeps counting', async () => {
    receiver.fallback = { status: 401 };
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, batchSize: 2 });
      for (let i = 0; i < 4; i++) cloud.log(checkEvent(i));
      await receiver.waitFor('the rejected request', () => receiver.requests.length >= 1);
      await sleep(100);
      for (let i = 0; i < 5; i++) cloud.log(checkEvent(i));
      expect(await cloud.flush(1000)).toBe(false); // nothing left to send, but nothing delivered

      expect(receiver.requests).toHaveLength(1);
      const stats = cloud.stats();
      expect(stats.authRejected).toBe(true);
      expect(stats.logged).toBe(9);
      expect(stats.dropped.unauthorized).toBe(9);
      expect(stats.sent).toBe(0);
      const lines = stderr()
        .split('\n')
        .filter((l) => l.includes('rejected'));
      expect(lines).toEqual([expect.stringContaining(`API key rejected by ${receiver.url} (HTTP 401)`)]);
    });
  });

  it('treats 403 like 401', async () => {
    receiver.fallback = { status: 403 };
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url });
      cloud.log(checkEvent(1));
      await cloud.flush(2000);
      expect(cloud.stats()).toMatchObject({ authRejected: true, lastError: 'HTTP 403' });
      expect(stderr()).toContain('API key rejected');
    });
  });

  it('splits a batch the server finds too large (413) until every part fits', async () => {
    receiver.maxBodyBytes = 1200;
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 16, gzipThresholdBytes: 1_000_000 });
    const events = Array.from({ length: 16 }, (_, i) => checkEvent(i));
    events.forEach((e) => cloud.log(e));
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.requests.some((r) => r.status === 413)).toBe(true);
    expect(receiver.ids()).toEqual(events.map((e) => e.eventId));
    expect(cloud.stats().dropped.total).toBe(0);
  });

  it('splits a batch with more events than the server takes (400 batch_too_large)', async () => {
    receiver.maxBatchEvents = 3;
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 10 });
    const events = Array.from({ length: 10 }, (_, i) => checkEvent(i));
    events.forEach((e) => cloud.log(e));
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.ids()).toEqual(events.map((e) => e.eventId));
    expect(receiver.requests.filter((r) => r.status === 200).every((r) => r.events.length <= 3)).toBe(true);
    expect(cloud.stats().dropped.total).toBe(0);
  });

  it('drops (and counts) a single event larger than the server accepts', async () => {
    receiver.maxBodyBytes = 2000;
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, gzipThresholdBytes: 1_000_000 });
      const huge = createEvent({
        agentName: 'SupportBot',
        action: 'permission_check',
        allowed: true,
        metadata: { notes: 'x'.repeat(5000) },
      });
      cloud.log(huge);
      cloud.log(checkEvent(2));
      expect(await cloud.flush(10_000)).toBe(true);
      expect(cloud.stats().dropped.too_large).toBe(1);
      expect(receiver.stored).toHaveLength(1);
      expect(stderr()).toContain('413');
    });
  });

  it('drops only the event a 400 names, and sends the rest of its batch', async () => {
    receiver.refuse = (e) => (String(e.scope).startsWith('bad:') ? 'scope' : undefined);
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, batchSize: 10 });
      const events = Array.from({ length: 10 }, (_, i) =>
        createEvent({
          agentName: 'Bot',
          action: 'permission_check',
          allowed: true,
          scope: `${i % 4 ? 'ok' : 'bad'}:${i}`,
        }),
      );
      for (const e of events) cloud.log(e);
      expect(await cloud.flush(5000)).toBe(true);
      expect(cloud.stats().dropped.rejected).toBe(3);
      expect(receiver.stored.map((e) => e.scope)).toEqual([
        'ok:1',
        'ok:2',
        'ok:3',
        'ok:5',
        'ok:6',
        'ok:7',
        'ok:9',
      ]);
      // One request per refused event, then the accepted rest: no event sent twice.
      expect(receiver.requests.map((r) => r.status)).toEqual([400, 400, 400, 200]);
      expect(stderr().match(/refused an event/g)).toHaveLength(1);
      expect(stderr()).toContain('events[0].scope');
    });
  });

  it('finds refused events by splitting when a 400 names none', async () => {
    receiver.refuse = (e) => (String(e.scope).startsWith('bad:') ? 'scope' : undefined);
    receiver.nameField = false;
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 8 });
    for (let i = 0; i < 8; i++)
      cloud.log(
        createEvent({
          agentName: 'Bot',
          action: 'permission_check',
          allowed: true,
          scope: `${i === 5 ? 'bad' : 'ok'}:${i}`,
        }),
      );
    expect(await cloud.flush(5000)).toBe(true);
    expect(cloud.stats().dropped.rejected).toBe(1);
    expect(receiver.stored.map((e) => e.scope)).toEqual([
      'ok:0',
      'ok:1',
      'ok:2',
      'ok:3',
      'ok:4',
      'ok:6',
      'ok:7',
    ]);
  });

  it('names the address a redirect points to, instead of following it', async () => {
    receiver.respond({ status: 301, location: 'https://dashboard.example/' });
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url });
      cloud.log(checkEvent(1));
      expect(await cloud.flush(5000)).toBe(true);
      expect(cloud.stats().dropped.rejected).toBe(1);
      expect(stderr()).toMatch(
        /HTTP 301 redirect to https:\/\/dashboard\.example\/; set the endpoint to that address/,
      );
    });
  });

  it('delivers every event exactly once after the server was down for a while', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 10, flushIntervalMs: 20 });
    await receiver.stop();
    const events = Array.from({ length: 60 }, (_, i) => checkEvent(i));
    for (let i = 0; i < 30; i++) cloud.log(events[i]);
    await sleep(150);
    for (let i = 30; i < 60; i++) cloud.log(events[i]);
    await sleep(150);
    expect(cloud.stats().retried).toBeGreaterThan(0);
    expect(cloud.stats().lastError).toMatch(/ECONNREFUSED/);

    await receiver.start();
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.ids()).toEqual(events.map((e) => e.eventId));
    expect([...receiver.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(cloud.stats()).toMatchObject({ sent: 60, queued: 0 });
  });

  it('moves a full queue to the spool while the server is down, then delivers it in order', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 5, maxQueue: 20 });
    await receiver.stop();
    const events = Array.from({ length: 100 }, (_, i) => checkEvent(i));
    // Bursts larger than the queue; each waits for the previous chunk to reach the disk.
    for (let i = 0; i < events.length; i += 25) {
      const spooledBefore = cloud.stats().spooled;
      for (let j = i; j < i + 25; j++) cloud.log(events[j]);
      await receiver.waitFor('the chunk on disk', () => cloud.stats().spooled > spooledBefore);
    }
    expect(cloud.stats().dropped.total).toBe(0);

    await receiver.start();
    expect(await cloud.flush(10_000)).toBe(true);
    expect(receiver.ids()).toEqual(events.map((e) => e.eventId));
    expect(cloud.stats()).toMatchObject({ sent: 100, spoolPending: 0 });
    expect(cloud.stats().replayed).toBe(cloud.stats().spooled);
  });

  it('without a spool, drops (and counts) what does not fit in maxQueue', async () => {
    await receiver.stop();
    const cloud = makeTransport({ endpoint: receiver.url, maxQueue: 10, batchSize: 100, spoolDir: false });
    for (let i = 0; i < 25; i++) cloud.log(checkEvent(i));
    expect(cloud.stats().dropped.queue_full).toBe(15);
    expect(cloud.stats().queued).toBe(10);
  });

  it('never throws into the caller, even after close', async () => {
    const cloud = makeTransport({ endpoint: receiver.url });
    await cloud.close(0);
    expect(() => cloud.log(checkEvent(1))).not.toThrow();
    expect(cloud.stats().dropped.closed).toBe(1);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and is capped', () => {
    expect(backoffDelay(1, 30_000, () => 0)).toBe(125);
    expect(backoffDelay(1, 30_000, () => 1)).toBe(250);
    expect(backoffDelay(3, 30_000, () => 1)).toBe(1000);
    expect(backoffDelay(40, 30_000, () => 0.999)).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(40, 30_000, () => 0)).toBe(15_000);
  });

  it('reads Retry-After as seconds or an HTTP date, and caps it at five minutes', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(300_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
