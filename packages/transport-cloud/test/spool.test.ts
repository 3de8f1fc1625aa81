import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkEvent,
  writeSpoolFile,
  withStderr,
  makeTransport,
  readSpool,
  tempDir,
  useReceiver,
} from './helpers';
import type { Receiver } from './receiver';

describe('the offline spool', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r));

  it('close() with the server down writes every unsent event to the spool as JSON Lines', async () => {
    await receiver.stop();
    const dir = tempDir();
    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir, batchSize: 4 });
    const events = Array.from({ length: 10 }, (_, i) => checkEvent(i));
    events.forEach((e) => cloud.log(e));
    await cloud.close(200);

    expect(readSpool(dir).map((e) => e.event_id)).toEqual(events.map((e) => e.eventId));
    expect(cloud.stats()).toMatchObject({ spooled: 10, sent: 0, queued: 0 });
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('a new transport on the same spool replays it before its own events, then deletes it', async () => {
    await receiver.stop();
    const dir = tempDir();
    const first = makeTransport({ endpoint: receiver.url, spoolDir: dir });
    const old = Array.from({ length: 5 }, (_, i) => checkEvent(i));
    old.forEach((e) => first.log(e));
    await first.close(100);

    await receiver.start();
    const second = makeTransport({ endpoint: receiver.url, spoolDir: dir });
    const fresh = checkEvent(99);
    second.log(fresh);
    expect(await second.flush(5000)).toBe(true);
    expect(receiver.ids()).toEqual([...old.map((e) => e.eventId), fresh.eventId]);
    expect(second.stats()).toMatchObject({ replayed: 5, sent: 6, spoolPending: 0 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('skips and counts damaged lines and delivers the rest', async () => {
    const dir = tempDir();
    const good = [checkEvent(1), checkEvent(2)].map((e) => ({
      event_id: e.eventId,
      timestamp: e.timestamp,
      agent_name: 'Old',
      action: 'permission_check',
      allowed: true,
    }));
    writeSpoolFile(dir, receiver.url, [
      JSON.stringify(good[0]),
      '{"event_id": "cut off in the midd',
      JSON.stringify(good[1]),
    ]);
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
      expect(await cloud.flush(5000)).toBe(true);
      expect(receiver.ids()).toEqual(good.map((g) => g.event_id));
      expect(cloud.stats().dropped.spool_corrupt).toBe(1);
      expect(stderr()).toContain('damaged line');
    });
  });

  it('drops (and counts) what would grow the spool past maxSpoolBytes', async () => {
    await receiver.stop();
    const dir = tempDir();
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir, maxSpoolBytes: 1000 });
      for (let i = 0; i < 20; i++) cloud.log(checkEvent(i));
      await cloud.close(50);
      expect(cloud.stats().dropped.spool_full).toBe(20);
      expect(readSpool(dir)).toEqual([]);
      expect(stderr()).toContain('maxSpoolBytes 1000');
    });
  });

  it('holds at most one chunk on its way to disk: a burst beyond that is dropped and counted', async () => {
    await receiver.stop();
    const dir = tempDir();
    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir, maxQueue: 10, batchSize: 100 });
    // One synchronous burst: events 1-10 fill the queue; the 11th sends them to disk and
    // opens a new queue, filled by 11-20; 21-35 find no room before the disk is done.
    for (let i = 0; i < 35; i++) cloud.log(checkEvent(i));
    expect(cloud.stats().dropped.queue_full).toBe(15);
    await cloud.close(50);
    expect(readSpool(dir)).toHaveLength(20);
    expect(cloud.stats()).toMatchObject({ logged: 35, spooled: 20, queued: 0 });
  });

  it('with spoolDir: false, counts unsent events at close as dropped for shutdown', async () => {
    await receiver.stop();
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: false });
      for (let i = 0; i < 3; i++) cloud.log(checkEvent(i));
      await cloud.close(50);
      expect(cloud.stats().dropped).toMatchObject({ shutdown: 3, total: 3 });
      expect(stderr()).toContain('no spoolDir is set');
    });
  });

  it('leaves half-written files of live processes alone and removes those of dead ones', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, `.${process.pid}-0001700000000-1-000000001-1.jsonl.tmp`), '{"x":');
    writeFileSync(join(dir, `.999999999-0001700000000-1-000000002-1.jsonl.tmp`), '{"x":');
    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
    expect(await cloud.flush(5000)).toBe(true);
    expect(readdirSync(dir)).toEqual([`.${process.pid}-0001700000000-1-000000001-1.jsonl.tmp`]);
    expect(receiver.requests).toHaveLength(0);
  });
});
