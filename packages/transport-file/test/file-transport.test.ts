import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  Agent,
  ConfigurationError,
  PermissionError,
  configure,
  createEvent,
  sudo,
  toWire,
  type SudoEvent,
} from '@agentsudo/core';
import {
  AuditLogPathError,
  FileTransport,
  UnsafeAuditLogError,
  readAuditLog,
  rotatedFiles,
} from '@agentsudo/transport-file';
import { jsonLines, tempDir } from './temp-dir';

const dir = tempDir();
let n = 0;
const fresh = (name = 'audit.jsonl') => join(dir, `case-${++n}`, name);

const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'], metadata: { team: 'support' } });
const getCustomer = sudo('read:customers', (id: string) => ({ id }), { name: 'getCustomer' });
const processRefund = sudo('write:refunds', (id: string) => id, { name: 'processRefund' });

function event(i: number, extra: Partial<SudoEvent> = {}): SudoEvent {
  return createEvent({
    agentName: 'Bot',
    action: 'permission_check',
    allowed: true,
    scope: `read:item-${i}`,
    ...extra,
  });
}

afterEach(() => configure({ transports: [] }));

describe('FileTransport', () => {
  test('appends one wire-form JSON line per event, allowed checks included', async () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file });
    configure({ transports: [transport] });
    bot.startSession(() => {
      getCustomer('c-1');
      expect(() => processRefund('o-1')).toThrow(PermissionError);
    });
    const lines = jsonLines(file);
    expect(lines.map((l) => [l.action, l.scope, l.allowed])).toEqual([
      ['session_start', undefined, true],
      ['permission_check', 'read:customers', true],
      ['permission_check', 'write:refunds', false],
      ['session_end', undefined, true],
    ]);
    expect(lines[2]).toMatchObject({
      agent_name: 'SupportBot',
      function_name: 'processRefund',
      metadata: { team: 'support' },
    });
    const events = await readAuditLog(file);
    expect(lines).toEqual(events.map(toWire));
  });

  test('the line is in the file as soon as log() returns', () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file });
    const e = event(1, { allowed: false });
    transport.log(e);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(toWire(e)) + '\n');
  });

  test('creates missing directories with mode 0700 and a new file with mode 0600', () => {
    const file = join(dir, 'deep', 'er', 'audit.jsonl');
    new FileTransport({ filename: file }).log(event(1));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'deep')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'deep', 'er')).mode & 0o777).toBe(0o700);
  });

  test('never truncates an existing log: a new transport appends after what is there', () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    const old = JSON.stringify(toWire(event(0))) + '\n';
    writeFileSync(file, old);
    chmodSync(file, 0o640);
    // A group-readable log is adopted only when the mode option allows it.
    new FileTransport({ filename: file, mode: 0o640 }).log(event(1));
    new FileTransport({ filename: file, mode: 0o640 }).log(event(2));
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(old)).toBe(true);
    expect(jsonLines(file).map((l) => l.scope)).toEqual(['read:item-0', 'read:item-1', 'read:item-2']);
    expect(statSync(file).mode & 0o777).toBe(0o640); // the owner's choice of mode is kept
  });

  test('starts on a fresh line when the existing file ends in a torn line', async () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify(toWire(event(0))) + '\n{"timestamp":"2026-01-0', { mode: 0o600 });
    new FileTransport({ filename: file }).log(event(1));
    const skipped: number[] = [];
    const events = await readAuditLog(file, { onInvalidLine: (e) => skipped.push(e.line) });
    expect(events.map((e) => e.scope)).toEqual(['read:item-0', 'read:item-1']);
    expect(skipped).toEqual([2]);
  });

  test('an unwritable path fails at configuration time, naming the path', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const underAFile = join(blocker, 'logs', 'audit.jsonl');
    expect(() => new FileTransport({ filename: underAFile })).toThrow(AuditLogPathError);
    expect(() => new FileTransport({ filename: underAFile })).toThrow(
      `Cannot write the audit log at '${underAFile}': ENOTDIR (a parent of it is a file, not a directory)`,
    );
    // Where no directory can be made (a kernel file system), the error is immediate too.
    expect(() => new FileTransport({ filename: '/proc/1/agentsudo/audit.jsonl' })).toThrow(AuditLogPathError);
    const aDirectory = join(dir, 'a-dir');
    mkdirSync(aDirectory);
    try {
      new FileTransport({ filename: aDirectory });
      throw new Error('expected AuditLogPathError');
    } catch (e) {
      expect(e).toBeInstanceOf(AuditLogPathError);
      expect(e).toBeInstanceOf(ConfigurationError);
      expect((e as AuditLogPathError).path).toBe(aDirectory);
      expect((e as AuditLogPathError).code).toBe('EISDIR');
      expect((e as Error).message).toContain('it is a directory');
    }
  });

  test('a directory where files may not be created fails the same way, even for root', () => {
    // sysfs refuses new files to every user, so this holds whoever runs the tests.
    const denied = '/sys/agentsudo-audit.jsonl';
    try {
      new FileTransport({ filename: denied });
      throw new Error('expected AuditLogPathError');
    } catch (e) {
      expect(e).toBeInstanceOf(AuditLogPathError);
      expect((e as AuditLogPathError).code).toMatch(/^E(ACCES|ROFS|PERM)$/);
      expect((e as Error).message).toContain(`Cannot write the audit log at '${denied}'`);
    }
  });

  test('rejects bad options with an error naming the value', () => {
    expect(() => new FileTransport({ filename: '' })).toThrow(/non-empty path.*got ""/);
    expect(() => new FileTransport({ filename: fresh(), maxSize: 0 })).toThrow(/maxSize.*got 0/);
    expect(() => new FileTransport({ filename: fresh(), maxSize: 1000, maxFiles: 0 })).toThrow(
      /maxFiles.*got 0/,
    );
    expect(() => new FileTransport(undefined as never)).toThrow(ConfigurationError);
  });

  describe('never follows a symlink or adopts a foreign file', () => {
    /** A file of the victim's that a planted link points at, and its content. */
    function victimFile(): { path: string; text: string } {
      const path = join(dir, `victim-${++n}.conf`);
      writeFileSync(path, 'secret=1\n', { mode: 0o600 });
      return { path, text: 'secret=1\n' };
    }

    test('a symlink planted at the path is refused, and its target is left untouched', () => {
      const file = fresh();
      mkdirSync(join(file, '..'), { recursive: true });
      const victim = victimFile();
      symlinkSync(victim.path, file);
      try {
        new FileTransport({ filename: file });
        throw new Error('expected UnsafeAuditLogError');
      } catch (e) {
        expect(e).toBeInstanceOf(UnsafeAuditLogError);
        expect(e).toBeInstanceOf(AuditLogPathError);
        expect(e).toMatchObject({ path: file, problem: 'symlink', code: 'ELOOP' });
        expect((e as Error).message).toContain(`Refusing the audit log at '${file}': it is a symbolic link`);
        expect((e as Error).message).toContain('Remove the link');
      }
      expect(readFileSync(victim.path, 'utf8')).toBe(victim.text);
      // A dangling link (pointing where a file would be created) is refused the same way.
      const dangling = fresh();
      mkdirSync(join(dangling, '..'), { recursive: true });
      const target = join(dir, `created-through-link-${n}`);
      symlinkSync(target, dangling);
      expect(() => new FileTransport({ filename: dangling })).toThrow(UnsafeAuditLogError);
      expect(existsSync(target)).toBe(false);
    });

    test('a symlink planted after logrotate moved the file away is not followed either', async () => {
      const file = fresh();
      const victim = victimFile();
      const transport = new FileTransport({ filename: file });
      transport.log(event(1));
      renameSync(file, `${file}.1`);
      symlinkSync(victim.path, file);
      await new Promise((r) => setTimeout(r, 1100)); // the rename is noticed within a second
      expect(() => transport.log(event(2))).toThrow(UnsafeAuditLogError);
      expect(readFileSync(victim.path, 'utf8')).toBe(victim.text);
      await transport.close();
    });

    test('a file another user owns is refused, naming the file, its owner and the fix', () => {
      const file = fresh();
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '', { mode: 0o600 });
      chownSync(file, 65534, 65534); // nobody
      try {
        new FileTransport({ filename: file });
        throw new Error('expected UnsafeAuditLogError');
      } catch (e) {
        expect(e).toBeInstanceOf(UnsafeAuditLogError);
        expect(e).toMatchObject({ path: file, problem: 'owner', owner: 65534 });
        expect((e as Error).message).toContain(
          `Refusing the audit log at '${file}': it belongs to uid 65534`,
        );
        expect((e as Error).message).toContain('Move it aside or delete it');
      }
      expect(readFileSync(file, 'utf8')).toBe('');
    });

    test('a pre-created file that group or others can read or write is refused', () => {
      const file = fresh();
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '');
      chmodSync(file, 0o666);
      try {
        new FileTransport({ filename: file });
        throw new Error('expected UnsafeAuditLogError');
      } catch (e) {
        expect(e).toBeInstanceOf(UnsafeAuditLogError);
        expect(e).toMatchObject({ path: file, problem: 'mode', fileMode: 0o666 });
        expect((e as Error).message).toContain(`its mode is 0666`);
        expect((e as Error).message).toContain(`Run chmod 0600 '${file}'`);
      }
      expect(readFileSync(file, 'utf8')).toBe('');
      // Group-readable only is still more than the default 0600 allows...
      chmodSync(file, 0o640);
      expect(() => new FileTransport({ filename: file })).toThrow(/its mode is 0640/);
      // ...and fine when the mode option grants it; writable by others never is.
      expect(() => new FileTransport({ filename: file, mode: 0o640 }).log(event(1))).not.toThrow();
      chmodSync(file, 0o642);
      expect(() => new FileTransport({ filename: file, mode: 0o640 })).toThrow(/its mode is 0642/);
    });

    test('a FIFO planted at the path fails at once instead of blocking the open', () => {
      const file = fresh();
      mkdirSync(join(file, '..'), { recursive: true });
      execFileSync('mkfifo', [file]);
      expect(() => new FileTransport({ filename: file })).toThrow(AuditLogPathError);
    });

    test('a hard link to another file of the user is refused, and that file is left untouched', () => {
      const file = fresh();
      mkdirSync(join(file, '..'), { recursive: true });
      const victim = victimFile(); // e.g. ~/.ssh/authorized_keys: ours, 0600
      linkSync(victim.path, file);
      try {
        new FileTransport({ filename: file });
        throw new Error('expected UnsafeAuditLogError');
      } catch (e) {
        expect(e).toBeInstanceOf(UnsafeAuditLogError);
        expect(e).toMatchObject({ path: file, problem: 'hardlink', code: 'ENLINK' });
        expect((e as Error).message).toContain(`Refusing the audit log at '${file}': it has 2 hard links`);
      }
      expect(readFileSync(victim.path, 'utf8')).toBe(victim.text);
    });

    test.each([
      ['another account owns it, mode 0777', 65534, 0o777, 'it belongs to uid 65534'],
      ['another account owns it, even private', 65534, 0o700, 'it belongs to uid 65534'],
      ['it is ours but others may write in it', 0, 0o777, 'its mode is 0777'],
      ['it is ours but its group may write in it', 0, 0o770, 'its mode is 0770'],
      ['it is sticky but another account owns it', 65534, 0o1777, 'it belongs to uid 65534'],
    ])(
      'a log under a folder that another account could empty is refused: %s',
      (_, owner, folderMode, reason) => {
        // The team folder sits two levels above the log: every folder on the way counts.
        const team = join(dir, `team-${++n}`);
        mkdirSync(team);
        chmodSync(team, folderMode);
        chownSync(team, owner, owner);
        const file = join(team, 'app', 'audit.jsonl');
        try {
          new FileTransport({ filename: file });
          throw new Error('expected UnsafeAuditLogError');
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafeAuditLogError);
          expect(e).toMatchObject({ path: file, problem: 'folder', code: 'EFOLDER', folder: team });
          expect((e as Error).message).toContain(`the folder '${team}' above it is not safe (${reason}`);
        }
        expect(existsSync(join(team, 'app'))).toBe(false);
      },
    );

    test('a sticky shared folder owned by root (like /tmp) is fine: only a file owner may delete there', () => {
      const shared = join(dir, `shared-${++n}`);
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      const file = join(shared, 'audit.jsonl');
      const transport = new FileTransport({ filename: file });
      transport.log(event(1));
      expect(jsonLines(file)).toHaveLength(1);
    });

    test('rejects a mode that is not permission bits', () => {
      expect(() => new FileTransport({ filename: fresh(), mode: 0o1777 })).toThrow(/mode.*got 1023/);
    });
  });

  test('rotates by size: every file stays under maxSize, the oldest beyond maxFiles is deleted', async () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file, maxSize: 2000, maxFiles: 3 });
    const lineBytes = JSON.stringify(toWire(event(100))).length + 1;
    const perFile = Math.floor(2000 / lineBytes);
    const total = perFile * 6;
    for (let i = 0; i < total; i++) transport.log(event(100 + i));

    expect(rotatedFiles(file)).toEqual([`${file}.3`, `${file}.2`, `${file}.1`]);
    expect(existsSync(`${file}.4`)).toBe(false);
    for (const f of [file, ...rotatedFiles(file)]) {
      expect(statSync(f).size).toBeLessThanOrEqual(2000);
      expect(statSync(f).mode & 0o777).toBe(0o600);
    }
    // What is kept is the newest events, whole and in order across the files.
    const kept = (await readAuditLog(file, { includeRotated: true })).map((e) => Number(e.scope!.slice(10)));
    expect(kept.length).toBe(perFile * 4);
    expect(kept).toEqual(kept.map((_, i) => 100 + total - kept.length + i));
  });

  test('takes over a rotation lock left by a crashed process, never a live one', () => {
    const file = fresh();
    mkdirSync(join(file, '..'), { recursive: true });
    const lock = `${file}.lock`;
    writeFileSync(lock, '');
    const log = new FileTransport({ filename: file, maxSize: 2000, maxFiles: 3 });
    for (let i = 0; i < 20; i++) log.log(event(i));
    // A fresh lock belongs to a process rotating right now: this one writes on, unrotated.
    expect(rotatedFiles(file)).toEqual([]);
    expect(existsSync(lock)).toBe(true);
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, minuteAgo, minuteAgo);
    for (let i = 20; i < 40; i++) log.log(event(i));
    expect(rotatedFiles(file).length).toBeGreaterThan(0);
    expect(existsSync(lock)).toBe(false);
    expect(statSync(file).size).toBeLessThanOrEqual(2000);
  });

  test('keeps writing when the file is deleted under it', () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file });
    transport.log(event(1));
    unlinkSync(file);
    transport.log(event(2));
    expect(jsonLines(file).map((l) => l.scope)).toEqual(['read:item-2']);
  });

  test('follows a file renamed under it (logrotate) within a second, losing no line', async () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file });
    transport.log(event(1));
    renameSync(file, `${file}.1`);
    await new Promise((r) => setTimeout(r, 1100));
    transport.log(event(2));
    transport.log(event(3));
    expect(jsonLines(`${file}.1`).map((l) => l.scope)).toEqual(['read:item-1']);
    expect(jsonLines(file).map((l) => l.scope)).toEqual(['read:item-2', 'read:item-3']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('wants() narrows what is kept, e.g. refusals only', () => {
    const file = fresh();
    configure({ transports: [new FileTransport({ filename: file, wants: (_action, allowed) => !allowed })] });
    bot.startSession(() => {
      getCustomer('c-1');
      expect(() => processRefund('o-1')).toThrow(PermissionError);
    });
    expect(jsonLines(file).map((l) => l.scope)).toEqual(['write:refunds']);
  });

  test('after close(), log() throws instead of dropping the event silently', async () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file });
    await transport.close();
    expect(() => transport.log(event(1))).toThrow(`The audit log '${file}' is closed`);
    await transport.close(); // closing twice is harmless
  });

  test('a failing write is reported once on stderr and the protected call still goes on', () => {
    const file = fresh();
    const transport = new FileTransport({ filename: file });
    configure({ transports: [transport] });
    const errors: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      errors.push(String(chunk));
      return true;
    });
    try {
      void transport.close();
      bot.startSession(() => {
        expect(getCustomer('c-1')).toEqual({ id: 'c-1' });
        expect(getCustomer('c-2')).toEqual({ id: 'c-2' });
      });
    } finally {
      spy.mockRestore();
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("transport 'file' failed: The audit log");
  });
});
