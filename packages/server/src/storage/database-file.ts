import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Files SQLite keeps beside the database: the write-ahead log, its index, a rollback journal. */
const COMPANIONS = ['-wal', '-shm', '-journal'];

/**
 * The SQLite file (or one SQLite keeps beside it) is not one the server may use: a
 * symbolic link, not a regular file, or owned by another user. The database holds key and
 * password hashes and the audit trail, so the server never adopts a file someone else
 * controls.
 *
 * @example
 * ```ts
 * try { await openStorage({ db: './agentsudo.db' }); }
 * catch (e) { if (e instanceof UnsafeDatabaseFileError) console.error(e.file, e.problem); }
 * ```
 */
export class UnsafeDatabaseFileError extends Error {
  constructor(
    /** The offending path, absolute. */
    readonly file: string,
    /** What is wrong with it and what to do, in a sentence. */
    readonly problem: string,
  ) {
    super(`Refusing to open the SQLite database file ${file}: ${problem}`);
    this.name = 'UnsafeDatabaseFileError';
  }
}

/**
 * Makes `file` ready for SQLite, private: a missing directory is created 0700 and a missing
 * file 0600 (SQLite then gives its `-wal` and `-shm` files the same mode). An existing file,
 * or companion file, loses any group and other permissions (0644 becomes 0600); a symbolic link,
 * anything but a regular file, or a file owned by another user is refused with
 * {@link UnsafeDatabaseFileError}.
 *
 * @example
 * ```ts
 * prepareDatabaseFile('/var/lib/agentsudo/agentsudo.db');
 * new Database('/var/lib/agentsudo/agentsudo.db');
 * ```
 */
export function prepareDatabaseFile(file: string): void {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // O_EXCL: never through a link, and of two processes creating it at once, one creates.
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const p of [path, ...COMPANIONS.map((suffix) => path + suffix)]) {
    const stat = statIfExists(p);
    if (stat) makePrivate(p, stat);
  }
}

function statIfExists(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function makePrivate(path: string, stat: Stats): void {
  if (stat.isSymbolicLink())
    throw new UnsafeDatabaseFileError(path, 'it is a symbolic link; give the path of the file itself.');
  if (!stat.isFile())
    throw new UnsafeDatabaseFileError(path, 'it is not a regular file; give the path of a SQLite file.');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    throw new UnsafeDatabaseFileError(
      path,
      `it belongs to user id ${stat.uid}, not to this process's user (${uid}); run the server as its owner, or chown it.`,
    );
  // Earlier releases created the file with the umask's mode (often 0644): tightened, never loosened.
  if (stat.mode & 0o077) chmodSync(path, stat.mode & 0o700);
}
