import { Agent, getTransports, shutdown, sudo } from '@agentsudo/core';
import {
  CloudTransport,
  configureCloud,
  disableCloud,
  flushCloud,
  getCloudConfig,
  getCloudStats,
  shutdownCloud,
} from '@agentsudo/transport-cloud';
import { readSpool, tempDir, useReceiver } from './helpers';
import type { Receiver } from './receiver';

const lookUp = sudo('read:customers', (id: string) => ({ id }));
const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });

describe('configureCloud()', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r), { resetCloud: true });

  it('before any configuration: no config, zero stats, and flushing is a no-op', async () => {
    expect(getCloudConfig()).toBeUndefined();
    expect(await flushCloud(10)).toBe(true);
    expect(getCloudStats()).toMatchObject({ logged: 0, sent: 0 });
  });

  it('installs a cloud transport that receives every check of a session', async () => {
    const handle = configureCloud({
      apiKey: 'as_cfg_0000000001',
      endpoint: receiver.url,
      spoolDir: tempDir(),
    });
    expect(getTransports()).toContain(handle.transport);
    expect(handle.transport).toBeInstanceOf(CloudTransport);
    bot.startSession(() => lookUp('c-1'));
    expect(await flushCloud(5000)).toBe(true);
    expect(receiver.stored.map((e) => `${e.action}:${e.scope ?? '-'}`)).toEqual([
      'session_start:-',
      'permission_check:read:customers',
      'session_end:-',
    ]);
    expect(getCloudStats().sent).toBe(3);
    expect(handle.stats().sent).toBe(3);
  });

  it('calling it again replaces the configuration: the old one is flushed and closed', async () => {
    const first = configureCloud({
      apiKey: 'as_first_00000001',
      endpoint: receiver.url,
      spoolDir: tempDir(),
    });
    const before = bot.startSession((s) => (lookUp('before'), s.id));
    const second = configureCloud({
      apiKey: 'as_second_0000002',
      endpoint: receiver.url,
      spoolDir: tempDir(),
    });
    const after = bot.startSession((s) => (lookUp('after'), s.id));
    expect(await flushCloud(5000)).toBe(true);

    expect(getTransports()).toEqual([second.transport]);
    expect(getCloudConfig()!.apiKeyHint).toBe('as_…0002');
    const sessionsByKey = (key: string) =>
      receiver.requests
        .filter((r) => r.headers['x-api-key'] === key)
        .flatMap((r) => r.events.map((e) => e.session_id));
    expect(sessionsByKey('as_first_00000001')).toEqual([before, before, before]);
    expect(sessionsByKey('as_second_0000002')).toEqual([after, after, after]);
    expect(first.stats()).toMatchObject({ sent: 3, queued: 0 });
    expect(await first.shutdown()).toBe(true); // already closed in the background
    first.transport.log(receiver.stored[0] as never);
    expect(first.stats().dropped.closed).toBe(1);
  });

  it('what a replaced configuration spools while the dashboard is down is sent by its successor', async () => {
    const spoolDir = tempDir();
    receiver.fallback = { status: 503 };
    // The same key and endpoint (a spool is only ever replayed with the key it was written for).
    const options = {
      apiKey: 'as_first_00000001',
      endpoint: receiver.url,
      spoolDir,
      maxBackoffMs: 20,
      exitTimeoutMs: 200,
    };
    configureCloud({ ...options });
    const before = bot.startSession((s) => (lookUp('before'), s.id));
    configureCloud({ ...options, batchSize: 10 });
    const after = bot.startSession((s) => (lookUp('after'), s.id));
    await receiver.waitFor('the first transport to spool its events', () => readSpool(spoolDir).length >= 3);
    receiver.fallback = {};
    expect(await flushCloud(5000)).toBe(true);
    const sessions = receiver.stored.map((e) => e.session_id);
    expect(sessions.filter((id) => id === before)).toHaveLength(3);
    expect(sessions.filter((id) => id === after)).toHaveLength(3);
    expect(readSpool(spoolDir)).toEqual([]);
  });

  it('disableCloud() stops sending new events at once', async () => {
    configureCloud({ apiKey: 'as_cfg_0000000001', endpoint: receiver.url, spoolDir: tempDir() });
    bot.startSession(() => lookUp('sent'));
    expect(await disableCloud()).toBe(true);
    bot.startSession(() => lookUp('not sent'));
    expect(getCloudConfig()).toBeUndefined();
    expect(receiver.stored).toHaveLength(3);
    expect(getCloudStats().sent).toBe(3);
  });

  it('serverless style: asyncSend: false sends each event at once and flushCloud() waits for them', async () => {
    configureCloud({
      apiKey: 'as_cfg_0000000001',
      endpoint: receiver.url,
      asyncSend: false,
      spoolDir: tempDir(),
    });
    const result = bot.startSession(() => lookUp('c-9'));
    expect(await flushCloud(5000)).toBe(true);
    expect(result).toEqual({ id: 'c-9' });
    expect(receiver.requests.map((r) => r.events.length)).toEqual([1, 1, 1]);
  });

  it("core's shutdown() also closes cloud mode, flushing it first", async () => {
    configureCloud({ apiKey: 'as_cfg_0000000001', endpoint: receiver.url, spoolDir: tempDir() });
    bot.startSession(() => lookUp('c-1'));
    expect(await shutdown(5000)).toBe(true);
    expect(receiver.stored).toHaveLength(3);
    expect(getCloudConfig()).toBeUndefined();
    expect(getCloudStats().sent).toBe(3);
  });

  it('shutdownCloud() with the server down spools the events and resolves false', async () => {
    const spool = tempDir();
    await receiver.stop();
    configureCloud({
      apiKey: 'as_cfg_0000000001',
      endpoint: receiver.url,
      spoolDir: spool,
      maxBackoffMs: 20,
    });
    bot.startSession(() => lookUp('c-1'));
    expect(await shutdownCloud(200)).toBe(false);
    expect(readSpool(spool)).toHaveLength(3);
    expect(getCloudStats()).toMatchObject({ spooled: 3, sent: 0 });
  });
});
