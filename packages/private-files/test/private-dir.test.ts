import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir, ensureTrustedDir, UnsafeFolderError } from '@agentsudo/private-files';

// Another account's uid ('nobody'); chown needs root, which these machines run as.
const OTHER_UID = 65534;
const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? test : test.skip;

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'agentsudo-private-files-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** The error `fn` throws, or fails the test when it throws none. */
function refusal(fn: () => unknown): UnsafeFolderError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UnsafeFolderError) return err;
    throw err;
  }
  throw new Error('expected an UnsafeFolderError');
}

describe('a trusted folder (the audit log and the database may live in it)', () => {
  test('missing levels are made one at a time, each 0700', () => {
    const dir = join(base, 'a', 'b');
    ensureTrustedDir(dir);
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  test('a folder above it that others may write in is refused, naming that folder', () => {
    const open = join(base, 'team');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const err = refusal(() => ensureTrustedDir(join(open, 'logs')));
    expect(err.path).toBe(open);
    expect(err.problem).toBe('mode');
    expect(err.reason).toContain('0777');
  });

  test('a sticky shared folder (like /tmp) is fine: only a file owner may remove files there', () => {
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => ensureTrustedDir(join(shared, 'mine'))).not.toThrow();
  });

  rootOnly('a folder above it owned by another account is refused, and nothing is made under it', () => {
    const theirs = join(base, 'theirs');
    mkdirSync(theirs, 0o755);
    chownSync(theirs, OTHER_UID, OTHER_UID);
    const err = refusal(() => ensureTrustedDir(join(theirs, 'logs')));
    expect(err).toMatchObject({ path: theirs, problem: 'owner', uid: OTHER_UID });
    expect(() => statSync(join(theirs, 'logs'))).toThrow(/ENOENT/);
  });

  test('a file where a folder must be says so', () => {
    const file = join(base, 'file');
    writeFileSync(file, '');
    expect(refusal(() => ensureTrustedDir(join(file, 'logs'))).problem).toBe('not_dir');
  });
});

describe('a private folder (the cloud spool)', () => {
  test('is made 0700 and its identity returned, the same on the next check', () => {
    const dir = join(base, 'spool');
    const first = ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(ensurePrivateDir(dir)).toEqual(first);
  });

  test('a folder of ours that group or others may write is refused', () => {
    const dir = join(base, 'spool');
    mkdirSync(dir, 0o700);
    chmodSync(dir, 0o770);
    expect(refusal(() => ensurePrivateDir(dir))).toMatchObject({ path: dir, problem: 'mode' });
  });

  test('a link where the folder must be is refused, even to a folder of ours', () => {
    const real = join(base, 'real');
    mkdirSync(real, 0o700);
    const link = join(base, 'spool');
    symlinkSync(real, link);
    expect(refusal(() => ensurePrivateDir(link)).problem).toBe('symlink');
  });

  test('a folder replaced by another has another identity', () => {
    const dir = join(base, 'spool');
    const before = ensurePrivateDir(dir);
    rmSync(dir, { recursive: true });
    mkdirSync(join(base, 'other'), 0o700);
    expect(ensurePrivateDir(dir)).not.toEqual(before);
  });
});
