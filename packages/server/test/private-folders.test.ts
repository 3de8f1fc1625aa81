import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStorage, UnsafeDatabaseFileError } from '../src';
import { tempDir } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

let n = 0;
/** A folder of its own for one case, with `mode` (set after creation, so the umask does not interfere). */
function folder(mode: number, parent = dir.dir): string {
  const path = join(parent, `case-${++n}`);
  mkdirSync(path);
  chmodSync(path, mode);
  return path;
}

/** What opening the storage on `db` ends with: undefined when it opens (and is closed again). */
async function opening(db: string): Promise<unknown> {
  return openStorage({ db }).then(
    (s) => s.close().then(() => undefined),
    (e: unknown) => e,
  );
}

async function refusal(db: string): Promise<UnsafeDatabaseFileError> {
  const err = await opening(db);
  expect(err).toBeInstanceOf(UnsafeDatabaseFileError);
  return err as UnsafeDatabaseFileError;
}

describe('the folders a SQLite database is in are checked', () => {
  test('a folder anyone may write to is refused, naming it and the fix, and no database is created', async () => {
    const shared = folder(0o777);
    const db = join(shared, 'agentsudo.db');

    const err = await refusal(db);
    expect(err.file).toBe(shared);
    expect(err.message).toContain(shared);
    expect(err.message).toMatch(/mode is 0777, so other accounts may add, rename or delete files in it/);
    expect(err.message).toMatch(/chmod go-w/);
    expect(existsSync(db)).toBe(false);
  });

  test('a group-writable folder is refused', async () => {
    const shared = folder(0o775);
    const err = await refusal(join(shared, 'agentsudo.db'));
    expect(err.file).toBe(shared);
    expect(err.message).toMatch(/mode is 0775/);
  });

  test('a loose folder further up is refused too, naming that folder', async () => {
    const loose = folder(0o777);
    const inner = folder(0o700, loose);
    const err = await refusal(join(inner, 'agentsudo.db'));
    expect(err.file).toBe(loose);
  });

  test('an existing database is refused too once its folder is loosened', async () => {
    const shared = folder(0o755);
    const db = join(shared, 'agentsudo.db');
    expect(await opening(db)).toBeUndefined();
    chmodSync(shared, 0o777);

    const err = await refusal(db);
    expect(err.file).toBe(shared);
  });

  test('a folder reached through a symbolic link is checked where it really is', async () => {
    const loose = folder(0o777);
    const link = join(folder(0o700), 'data');
    symlinkSync(loose, link);
    const err = await refusal(join(link, 'agentsudo.db'));
    expect(err.file).toBe(loose);
  });

  test('a sticky folder anyone may write to, like /tmp, is accepted: only owners may remove files in it', async () => {
    const sticky = folder(0o1777);
    expect(await opening(join(sticky, 'agentsudo.db'))).toBeUndefined();
  });

  test('a missing folder is created private and accepted', async () => {
    expect(await opening(join(folder(0o755), 'new', 'agentsudo.db'))).toBeUndefined();
  });

  const asRoot = process.getuid?.() === 0;
  // Handing a folder to another user needs root; as anyone else there is no such folder to make.
  (asRoot ? test : test.skip)(
    "a folder owned by another user is refused, naming it and the owner's user id",
    async () => {
      const theirs = folder(0o755);
      chownSync(theirs, 65534, 65534);
      const db = join(theirs, 'agentsudo.db');

      const err = await refusal(db);
      expect(err.file).toBe(theirs);
      expect(err.message).toMatch(/belongs to uid 65534/);
      expect(existsSync(db)).toBe(false);
    },
  );

  test('a FIFO in place of the WAL file is refused without blocking on it', async () => {
    const db = join(folder(0o700), 'agentsudo.db');
    writeFileSync(db, '', { mode: 0o600 });
    execFileSync('mkfifo', [`${db}-wal`]);
    const err = await refusal(db);
    expect(err.file).toBe(`${db}-wal`);
    expect(err.message).toMatch(/not a regular file/);
  });
});
