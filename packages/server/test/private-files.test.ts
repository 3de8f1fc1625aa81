import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStorage, UnsafeDatabaseFileError, type Storage } from '../src';
import { tempDir } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

/** Permission bits of a path, e.g. 0o600. */
const mode = (path: string) => statSync(path).mode & 0o777;

let n = 0;
/** A path in a directory of its own (mode 0755, as the umask leaves it), nothing in it yet. */
function place(): string {
  const sub = join(dir.dir, `case-${++n}`);
  mkdirSync(sub, { mode: 0o755 });
  return sub;
}

async function refusal(db: string): Promise<UnsafeDatabaseFileError> {
  const err = await openStorage({ db }).then(
    (s) => s.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnsafeDatabaseFileError);
  return err as UnsafeDatabaseFileError;
}

describe('files the server creates are private', () => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  test('a new SQLite database, its WAL and its shared-memory file are 0600', async () => {
    const db = join(place(), 'agentsudo.db');
    storage = await openStorage({ db });
    await storage.accounts.createProject({ id: 'prj_private', name: 'private', createdAt: 1 });

    expect(mode(db)).toBe(0o600);
    expect(mode(`${db}-wal`)).toBe(0o600);
    expect(mode(`${db}-shm`)).toBe(0o600);
  });

  test('missing directories on the way to the database are created 0700', async () => {
    const top = join(place(), 'var');
    const db = join(top, 'lib', 'agentsudo.db');
    storage = await openStorage({ db });

    expect(mode(top)).toBe(0o700);
    expect(mode(join(top, 'lib'))).toBe(0o700);
    expect(mode(db)).toBe(0o600);
  });

  test('a database an earlier release left readable by everyone is tightened to 0600 and keeps its data', async () => {
    const db = join(place(), 'agentsudo.db');
    const old = new Database(db);
    old.pragma('journal_mode = WAL');
    old.exec("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('kept')");
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    expect(mode(db)).toBe(0o644);

    storage = await openStorage({ db });
    await storage.accounts.createProject({ id: 'prj_old', name: 'old', createdAt: 1 });

    expect(mode(db)).toBe(0o600);
    expect(mode(`${db}-wal`)).toBe(0o600);
    expect(mode(`${db}-shm`)).toBe(0o600);
    const reader = new Database(db, { readonly: true });
    expect(reader.prepare('SELECT t FROM notes').pluck().all()).toEqual(['kept']);
    reader.close();
  });

  test('a symbolic link in place of the database is refused, naming it, and its target is left alone', async () => {
    const where = place();
    const target = join(where, 'elsewhere.txt');
    writeFileSync(target, 'not yours', { mode: 0o644 });
    const db = join(where, 'agentsudo.db');
    symlinkSync(target, db);

    const err = await refusal(db);
    expect(err.file).toBe(db);
    expect(err.message).toContain(db);
    expect(err.message).toMatch(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(mode(target)).toBe(0o644);
  });

  test('a symbolic link in place of the WAL file is refused before SQLite writes through it', async () => {
    const where = place();
    const target = join(where, 'elsewhere.txt');
    writeFileSync(target, 'not yours');
    const db = join(where, 'agentsudo.db');
    symlinkSync(target, `${db}-wal`);

    const err = await refusal(db);
    expect(err.file).toBe(`${db}-wal`);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
  });

  test('a directory in place of the database is refused, naming it', async () => {
    const db = join(place(), 'agentsudo.db');
    mkdirSync(db);
    const err = await refusal(db);
    expect(err.message).toMatch(/not a regular file/);
  });

  const asRoot = process.getuid?.() === 0;
  // Handing a file to another user needs root; as anyone else there is no such file to make.
  (asRoot ? test : test.skip)(
    "a database owned by another user is refused, naming the file and its owner's user id",
    async () => {
      const db = join(place(), 'agentsudo.db');
      writeFileSync(db, '', { mode: 0o600 });
      chownSync(db, 65534, 65534);

      const err = await refusal(db);
      expect(err.message).toContain(db);
      expect(err.message).toMatch(/user id 65534/);
      expect(existsSync(`${db}-wal`)).toBe(false);
    },
  );
});
