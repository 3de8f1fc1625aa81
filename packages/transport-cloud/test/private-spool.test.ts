import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { toWire } from '@agentsudo/core';
import { defaultSpoolRoot } from '@agentsudo/transport-cloud';
import { SpoolMark } from '../src/spool';
import {
  checkEvent,
  makeTransport,
  readSpool,
  tempDir,
  useReceiver,
  withStderr,
  writeSpoolFile,
} from './helpers';
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
    const forged = JSON.stringify(toWire(checkEvent(666)));
    const otherKey = new SpoolMark(receiver.url, 'as_other_key_00000').tag;
    const files = [
      '0001700000000-1-000000001-1.jsonl', // no mark at all (the old format, or planted)
      `0001700000000-1-000000002-1-${otherKey}.jsonl`,
      `0001700000000-1-000000003-1-${'0'.repeat(16)}.jsonl`,
    ];
    for (const f of files) writeFileSync(join(dir, f), forged + '\n', { mode: 0o600 });
    // Sealed, but for another key.
    files.push(writeSpoolFile(dir, receiver.url, [forged], { key: 'as_other_key_00000', seq: 4 }));
    const own = toWire(checkEvent(1));
    const ownFile = writeSpoolFile(dir, receiver.url, [JSON.stringify(own)], { seq: 5 });

    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
    expect(await cloud.flush(5000)).toBe(true);
    expect(receiver.ids()).toEqual([own.event_id]);
    expect(readdirSync(dir).sort()).toEqual(files.sort());
    expect(existsSync(join(dir, ownFile))).toBe(false);
  });

  it('a spool folder under a folder another account may write in is refused, naming that folder', async () => {
    // A team folder of another account, open to all: they could rename the spool away and
    // put their own in its place after it was checked.
    const team = join(tempDir(), 'team');
    mkdirSync(team);
    chmodSync(team, 0o777);
    chownSync(team, 1, 1); // daemon
    const spoolDir = join(team, 'spool');
    await withStderr(async (stderr) => {
      await receiver.stop();
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir });
      cloud.log(checkEvent(1));
      await cloud.close(50);
      expect(stderr()).toContain(`Not using the spool folder '${team}': it belongs to uid 1`);
      expect(cloud.stats().dropped).toMatchObject({ spool_error: 1, total: 1 });
      expect(existsSync(spoolDir)).toBe(false);
    });
  });

  it('a spool folder replaced after its check is checked again before each write: nothing goes into the impostor', async () => {
    const dir = join(tempDir(), 'spool');
    await receiver.stop();
    await withStderr(async (stderr) => {
      const cloud = makeTransport({
        endpoint: receiver.url,
        spoolDir: dir,
        maxQueue: 1,
        flushIntervalMs: 10,
      });
      cloud.log(checkEvent(1));
      await receiver.waitFor('the spool folder to be checked and made', () => existsSync(dir));
      renameSync(dir, `${dir}.moved`);
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      chownSync(dir, 1, 1);
      cloud.log(checkEvent(2)); // the queue (1 event) is full: this one goes to the spool
      cloud.log(checkEvent(3));
      await cloud.close(50);
      expect(readdirSync(dir)).toEqual([]);
      expect(cloud.stats().dropped.spool_error).toBeGreaterThan(0);
      expect(stderr()).toContain(`Not using the spool folder '${dir}': it belongs to uid 1`);
    });
  });

  it('a spool folder replaced while it is first listed is still refused by name at the next write', async () => {
    // The same race as above, at its narrowest: the folder is swapped between the check and
    // the listing, so the first scan fails with ENOENT. That failure must not hide the refusal.
    const dir = join(tempDir(), 'spool');
    await receiver.stop();
    // The listing that lost the race: the folder was gone when it was read, and the
    // impostor was in place by the time the error came back.
    const readdir = jest.spyOn(fs.promises, 'readdir').mockImplementationOnce(((path: string) => {
      renameSync(dir, `${dir}.moved`);
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      chownSync(dir, 1, 1);
      const gone = new Error(`ENOENT: no such file or directory, scandir '${path}'`);
      return Promise.reject(Object.assign(gone, { code: 'ENOENT' }));
    }) as unknown as typeof fs.promises.readdir);
    try {
      await withStderr(async (stderr) => {
        const cloud = makeTransport({
          endpoint: receiver.url,
          spoolDir: dir,
          maxQueue: 1,
          flushIntervalMs: 10,
        });
        cloud.log(checkEvent(1));
        cloud.log(checkEvent(2));
        cloud.log(checkEvent(3));
        await cloud.close(50);
        expect(readdir).toHaveBeenCalled();
        expect(readdirSync(dir)).toEqual([]);
        expect(cloud.stats().dropped.spool_error).toBeGreaterThan(0);
        expect(stderr()).toMatch(new RegExp(`cannot use spool folder ${dir}: .*ENOENT`));
        expect(stderr()).toContain(`Not using the spool folder '${dir}': it belongs to uid 1`);
      });
    } finally {
      readdir.mockRestore();
    }
  });

  it('a spool folder deleted while the process runs (a temp cleaner) is made again at the next write', async () => {
    const parent = tempDir();
    const dir = join(parent, 'state', 'spool');
    await receiver.stop();
    const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir, maxQueue: 10, flushIntervalMs: 10 });
    cloud.log(checkEvent(0));
    await receiver.waitFor('the spool folder to be made', () => existsSync(dir));
    rmSync(join(parent, 'state'), { recursive: true });
    // Enough to fill the queue once: it goes to the spool while a fresh queue takes the rest.
    const events = Array.from({ length: 12 }, (_, i) => checkEvent(i + 1));
    events.forEach((e) => cloud.log(e));
    await cloud.close(50);
    expect(cloud.stats().dropped.total).toBe(0);
    expect(readSpool(dir)).toHaveLength(13);
    expect(mode(dir)).toBe(0o700);
  });

  describe('a spool file is replayed only when it is a private file of this user, sealed with this key', () => {
    function ownFile(dir: string): { name: string; event: ReturnType<typeof toWire> } {
      const event = toWire(checkEvent(7));
      return { name: writeSpoolFile(dir, receiver.url, [JSON.stringify(event)]), event };
    }

    it.each([
      [
        'its content replaced by someone without the key (the name, which anyone can list, kept)',
        (path: string) => {
          const forged = { ...toWire(checkEvent(666)), agent_name: 'Forged', scope: 'admin:everything' };
          writeFileSync(path, JSON.stringify(forged) + '\n');
        },
      ],
      [
        'a seal copied from another file of this key over other content',
        (path: string) => {
          const [header] = readFileSync(path, 'utf8').split('\n');
          writeFileSync(path, `${header}\n${JSON.stringify(toWire(checkEvent(666)))}\n`);
        },
      ],
      ['owned by another account', (path: string) => chownSync(path, 65534, 65534)],
      ['readable by others', (path: string) => chmodSync(path, 0o644)],
      ['a second name of another file (hard link)', (path: string) => linkSync(path, `${path}.other`)],
    ])('%s: not replayed, left in place, said once', async (_, tamper) => {
      const dir = tempDir();
      const { name } = ownFile(dir);
      const path = join(dir, name);
      tamper(path);
      const before = readFileSync(path, 'utf8');
      await withStderr(async (stderr) => {
        const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
        const fresh = checkEvent(8);
        cloud.log(fresh);
        expect(await cloud.flush(5000)).toBe(true);
        expect(receiver.ids()).toEqual([fresh.eventId]);
        expect(readFileSync(path, 'utf8')).toBe(before);
        expect(cloud.stats().replayed).toBe(0);
        const lines = stderr()
          .split('\n')
          .filter((l) => l.includes('not replaying spool file'));
        expect(lines).toEqual([expect.stringContaining(path)]);
      });
    });

    it('an untampered file is replayed', async () => {
      const dir = tempDir();
      const { event } = ownFile(dir);
      const cloud = makeTransport({ endpoint: receiver.url, spoolDir: dir });
      expect(await cloud.flush(5000)).toBe(true);
      expect(receiver.ids()).toEqual([event.event_id]);
    });
  });
});
