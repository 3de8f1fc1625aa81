import { gunzipSync } from 'node:zlib';
import { SDK_NAME } from '@agentsudo/core';
import { checkEvent, makeTransport, sleep, useReceiver } from './helpers';
import type { Receiver } from './receiver';

describe('delivery to the dashboard', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r));

  it('POSTs a JSON array of wire events to /api/events with the key, type and User-Agent', async () => {
    const cloud = makeTransport({ endpoint: receiver.url });
    const event = checkEvent(1);
    cloud.log(event);
    expect(await cloud.flush(5000)).toBe(true);

    const [req] = receiver.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/events');
    expect(req.headers['x-api-key']).toBe('as_test_0123456789');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe(SDK_NAME);
    expect(SDK_NAME).toMatch(/^agentsudo-js\/\d+\.\d+\.\d+/);
    expect(req.events).toEqual([
      {
        event_id: event.eventId,
        timestamp: event.timestamp,
        agent_name: 'SupportBot',
        action: 'permission_check',
        scope: 'read:customers',
        allowed: true,
        function_name: 'CustomerService.getCustomer#1',
        sdk: SDK_NAME,
      },
    ]);
  });

  it('sends a batch as soon as batchSize events are queued, without waiting for the interval', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 5, flushIntervalMs: 60_000 });
    for (let i = 0; i < 12; i++) cloud.log(checkEvent(i));
    await receiver.waitFor('two full batches', () => receiver.stored.length >= 10);
    expect(receiver.requests.map((r) => r.events.length)).toEqual([5, 5]);
    // The last two wait for the interval (or a flush).
    await sleep(100);
    expect(receiver.stored).toHaveLength(10);
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.requests.map((r) => r.events.length)).toEqual([5, 5, 2]);
  });

  it('sends a partial batch when flushIntervalMs has passed', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 100, flushIntervalMs: 50 });
    for (let i = 0; i < 3; i++) cloud.log(checkEvent(i));
    expect(receiver.requests).toHaveLength(0);
    await receiver.waitFor('the timed batch', () => receiver.stored.length === 3);
    expect(receiver.requests).toHaveLength(1);
  });

  it('keeps the order events were logged in', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, batchSize: 7 });
    const events = Array.from({ length: 50 }, (_, i) => checkEvent(i));
    events.forEach((e) => cloud.log(e));
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.ids()).toEqual(events.map((e) => e.eventId));
  });

  it('gzips bodies above gzipThresholdBytes and sends small ones plain', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, gzipThresholdBytes: 2000, batchSize: 100 });
    cloud.log(checkEvent(0));
    expect(await cloud.flush(5000)).toBe(true);
    for (let i = 0; i < 100; i++) cloud.log(checkEvent(i));
    expect(await cloud.flush(5000)).toBe(true);

    const [small, large] = receiver.requests;
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(large.headers['content-encoding']).toBe('gzip');
    expect(large.raw.length).toBeLessThan(large.text.length / 3);
    expect(JSON.parse(gunzipSync(large.raw).toString())).toHaveLength(100);
    expect(receiver.stored).toHaveLength(101);
  });

  it('with asyncSend: false, sends each event at once in its own request', async () => {
    const cloud = makeTransport({ endpoint: receiver.url, asyncSend: false, flushIntervalMs: 60_000 });
    cloud.log(checkEvent(1));
    await receiver.waitFor('the first event', () => receiver.requests.length === 1);
    cloud.log(checkEvent(2));
    cloud.log(checkEvent(3));
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.requests.map((r) => r.events.length)).toEqual([1, 1, 1]);
  });

  it('counts what it sent and what the server already had', async () => {
    const cloud = makeTransport({ endpoint: receiver.url });
    for (let i = 0; i < 4; i++) cloud.log(checkEvent(i));
    expect(await cloud.flush(5000)).toBe(true);
    expect(cloud.stats()).toMatchObject({ logged: 4, sent: 4, duplicates: 0, requests: 1, queued: 0 });
    expect(cloud.stats().dropped.total).toBe(0);
  });

  it('flush resolves false when the server cannot answer in time, and the events stay queued', async () => {
    receiver.fallback = { delayMs: 1000 };
    const cloud = makeTransport({ endpoint: receiver.url });
    cloud.log(checkEvent(1));
    expect(await cloud.flush(100)).toBe(false);
    expect(cloud.stats().queued).toBe(1);
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.stored).toHaveLength(1);
  });
});
