import { ensureTrustedDir, UnsafeFolderError } from '@agentsudo/private-files';
import { closeSync, constants, fchmodSync, fstatSync, openSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Files SQLite keeps beside the database: the write-ahead log, its index, a rollback journal. */
const COMPANIONS = ['-wal', '-shm', '-journal'];
/**
 * `O_NOFOLLOW`: a symbolic link fails the open (ELOOP) instead of being followed; `O_NONBLOCK`:
 * a FIFO planted at the path fails the checks instead of blocking the open.
 */
const CHECK_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The SQLite file (or one SQLite keeps beside it), or a folder it is in, is not one the server
 * may use: a symbolic link, not a regular file, owned by another user, or in a folder that
 * another user may write to (and so remove, replace or swap the file). The database holds key
 * and password hashes and the audit trail, so the server never adopts a file someone else
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
    /** The offending path (the file, or one of its folders), absolute. */
    readonly file: string,
    /** What is wrong with it and what to do, in a sentence. */
    readonly problem: string,
  ) {
    super(`Refusing to use ${file} for the SQLite database: ${problem}`);
    this.name = 'UnsafeDatabaseFileError';
  }
}

/**
 * Makes `file` ready for SQLite, private: a missing directory is created 0700 and a missing
 * file 0600 (SQLite then gives its `-wal` and `-shm` files the same mode). An existing file,
 * or companion file, loses any group and other permissions (0644 becomes 0600); a symbolic link,
 * anything but a regular file, or a file owned by another user is refused with
 * {@link UnsafeDatabaseFileError}. So is a file in a folder (at any level) that belongs to
 * another user than this one or root, or that group or others may write to without the
 * sticky bit: whoever may write a folder may swap what the path names between any check
 * and SQLite's open.
 *
 * @example
 * ```ts
 * prepareDatabaseFile('/var/lib/agentsudo/agentsudo.db');
 * new Database('/var/lib/agentsudo/agentsudo.db');
 * ```
 */
export function prepareDatabaseFile(file: string): void {
  const path = resolve(file);
  checkFolders(path);
  try {
    // O_EXCL: never through a link, and of two processes creating it at once, one creates.
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const p of [path, ...COMPANIONS.map((suffix) => path + suffix)]) makePrivate(p);
}

/**
 * Makes the folders above `path` exist (missing ones 0700) and checks them by the rules the
 * audit log and the spool keep to (`@agentsudo/private-files`): each, as written and as it
 * resolves, belongs to this user or root and is not writable by group or others unless sticky.
 */
function checkFolders(path: string): void {
  try {
    ensureTrustedDir(dirname(path));
  } catch (err) {
    if (!(err instanceof UnsafeFolderError)) throw err;
    const fix =
      err.problem === 'mode'
        ? `chmod go-w the folder, or keep the database elsewhere.`
        : err.problem === 'owner'
          ? `keep the database in a folder of this user's, or chown the folder.`
          : err.problem === 'io'
            ? `give a path this user may create and write.`
            : `give a path whose folders are real folders of this user's.`;
    throw new UnsafeDatabaseFileError(
      err.path,
      `${err.reason}, so others may remove or replace the database; ${fix}`,
    );
  }
}

/** Checks and tightens `path` through a descriptor, so what is checked is what is changed. */
function makePrivate(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, CHECK_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ELOOP')
      throw new UnsafeDatabaseFileError(path, 'it is a symbolic link; give the path of the file itself.');
    if (code === 'ENXIO')
      throw new UnsafeDatabaseFileError(path, 'it is not a regular file; give the path of a SQLite file.');
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    checkFile(path, stat);
    // Earlier releases created the file with the umask's mode (often 0644): tightened, never loosened.
    if (stat.mode & 0o077) fchmodSync(fd, stat.mode & 0o700);
  } finally {
    closeSync(fd);
  }
}

function checkFile(path: string, stat: Stats): void {
  if (!stat.isFile())
    throw new UnsafeDatabaseFileError(path, 'it is not a regular file; give the path of a SQLite file.');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    throw new UnsafeDatabaseFileError(
      path,
      `it belongs to user id ${stat.uid}, not to this process's user (${uid}); run the server as its owner, or chown it.`,
    );
}
