import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { toWire } from '@agentsudo/core';
import { defaultSpoolRoot } from '@agentsudo/transport-cloud';
import { spoolTag } from '../src/spool';
import { TEST_KEY, checkEvent, makeTransport, readSpool, tempDir, useReceiver, withStderr } from './helpers';
import type { Receiver } from './receiver';

/** Runs `fn` with some environment variables set (undefined: removed), then puts them back. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;
const uid = process.getuid!();

describe('the spool is private to its user', () => {
  let receiver!: Receiver;
  useReceiver((r) => (receiver = r));

  it('the default folder is per user: $XDG_STATE_HOME, else ~/.agentsudo, else <tmp>/agentsudo-<uid>', () => {
    const home = tempDir();
    expect(defaultSpoolRoot({ XDG_STATE_HOME: '/home/me/.local/state', HOME: home })).toBe(
      '/home/me/.local/state/agentsudo',
    );
    expect(defaultSpoolRoot({ HOME: home })).toBe(join(home, '.agentsudo'));
    // A relative XDG_STATE_HOME is invalid by the spec and ignored.
    expect(defaultSpoolRoot({ XDG_STATE_HOME: 'state', HOME: home })).toBe(join(home, '.agentsudo'));
    const tmp = tempDir();
    expect(defaultSpoolRoot({ HOME: join(tmp, 'no-such-home'), TMPDIR: tmp })).toBe(
      join(tmp, `agentsudo-${uid}`),
    );
  });

  it('creates the default folders 0700 and writes files 0600', async () => {
    const state = tempDir();
    await withEnv({ XDG_STATE_HOME: state }, async () => {
      await receiver.stop();
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: undefined });
      const spoolDir = cloud.options.spoolDir as string;
      expect(spoolDir.startsWith(join(state, 'agentsudo', 'spool'))).toBe(true);
      cloud.log(checkEvent(1));
      await cloud.close(50);
      expect(readSpool(spoolDir)).toHaveLength(1);
      for (const level of [join(state, 'agentsudo'), join(state, 'agentsudo', 'spool'), spoolDir]) {
        expect(mode(level)).toBe(0o700);
      }
      for (const f of readdirSync(spoolDir)) expect(mode(join(spoolDir, f))).toBe(0o600);
    });
  });

  it('a per-user temp folder another account planted is refused: events are still delivered, stderr says why once', async () => {
    const tmp = tempDir();
    const planted = join(tmp, `agentsudo-${uid}`);
    mkdirSync(join(planted, 'spool'), { recursive: true });
    chmodSync(planted, 0o777);
    chownSync(planted, 65534, 65534);
    await withEnv({ TMPDIR: tmp, XDG_STATE_HOME: undefined, HOME: join(tmp, 'no-such-home') }, async () => {
      await withStderr(async (stderr) => {
        const cloud = makeTransport({ endpoint: receiver.url, spoolDir: undefined });
        expect(cloud.options.spoolDir).toContain(planted);
        const events = [checkEvent(1), checkEvent(2)];
        events.forEach((e) => cloud.log(e));
        expect(await cloud.flush(5000)).toBe(true);
        expect(receiver.ids()).toEqual(events.map((e) => e.eventId));

        // With the dashboard gone, nothing goes into the planted folder: counted, not written.
        await receiver.stop();
        cloud.log(checkEvent(3));
        await cloud.close(50);
        expect(cloud.stats().dropped).toMatchObject({ spool_error: 1, total: 1 });
        expect(readdirSync(join(planted, 'spool'))).toEqual([]);
        const lines = stderr()
          .split('\n')
          .filter((l) => l.includes('spool folder'));
        expect(lines).toEqual([
          expect.stringContaining(`Not using the spool folder '${planted}': it belongs to uid 65534`),
        ]);
      });
    });
  });

  it('a spool folder others may write in is refused, with the chmod that fixes it', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    await withStderr(async (stderr) => {
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
      cloud.log(checkEvent(1));
      expect(await cloud.flush(5000)).toBe(true);
      expect(receiver.stored).toHaveLength(1);
      expect(stderr()).toContain(`Not using the spool folder '${dir}': its mode is 0777`);
      expect(stderr()).toContain(`run chmod 700 '${dir}'`);
    });
  });

  it('a spool folder that is a symbolic link is refused', async () => {
    const real = tempDir();
    const link = join(tempDir(), 'spool-link');
    symlinkSync(real, link);
    await withStderr(async (stderr) => {
      await receiver.stop();
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: link });
      cloud.log(checkEvent(1));
      await cloud.close(50);
      expect(stderr()).toContain(`Not using the spool folder '${link}': it is a symbolic link`);
      expect(readdirSync(real)).toEqual([]);
      expect(cloud.stats().dropped.spool_error).toBe(1);
    });
  });

  it('replays only files this configuration wrote: forged or other-key files are left alone', async () => {
    const dir = tempDir();
    const forged = toWire(checkEvent(666));
    const otherKey = spoolTag(receiver.url, 'as_other_key_00000');
    const files = [
      '0001700000000-1-000000001-1.jsonl', // no mark at all (the old format, or planted)
      `0001700000000-1-000000002-1-${otherKey}.jsonl`,
      `0001700000000-1-000000003-1-${'0'.repeat(16)}.jsonl`,
    ];
    for (const f of files) writeFileSync(join(dir, f), JSON.stringify(forged) + '\n', { mode: 0o600 });
    const own = toWire(checkEvent(1));
    const ownFile = `0001700000000-1-000000004-1-${spoolTag(receiver.url, TEST_KEY)}.jsonl`;
    writeFileSync(join(dir, ownFile), JSON.stringify(own) + '\n', { mode: 0o600 });

    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.ids()).toEqual([own.event_id]);
    expect(readdirSync(dir).sort()).toEqual(files.sort());
    expect(existsSync(join(dir, ownFile))).toBe(false);
  });
});
