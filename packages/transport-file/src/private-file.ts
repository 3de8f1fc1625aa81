import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { AuditLogPathError, UnsafeAuditLogError } from './errors';

/**
 * `O_NOFOLLOW`: a symbolic link planted at the path fails the open (ELOOP) instead of
 * sending our lines into whatever file it points at. `O_NONBLOCK`: a FIFO planted there
 * fails at once (ENXIO) instead of blocking the open forever; it changes nothing for a
 * regular file.
 */
const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens `path` for appending, creating it (and its missing parent directories, `0700`)
 * when absent. An existing file is adopted only when it is a regular file, not a symbolic
 * link, owned by this process's user, and no more open to group and others than `mode`.
 * The checks read the opened descriptor, so the file cannot be swapped between check and use.
 *
 * @example
 * ```ts
 * const fd = openPrivateAppend('/var/log/app/agentsudo.jsonl', 0o600);
 * ```
 * @throws UnsafeAuditLogError for a symlink, a foreign owner or a too open mode;
 *   AuditLogPathError for any other failure, naming the path.
 */
export function openPrivateAppend(path: string, mode: number): number {
  let fd: number;
  try {
    makePrivateDirectories(dirname(path));
    fd = openSync(path, APPEND_FLAGS, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw UnsafeAuditLogError.symlink(path);
    throw AuditLogPathError.from(path, err, 'write');
  }
  try {
    checkAdoptable(path, fstatSync(fd), mode);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * Opens `path` for reading without following a link, and only if it is still the file
 * `expected` (the one being appended to); undefined otherwise.
 *
 * @example
 * ```ts
 * const reader = openSameFile(path, fstatSync(fd));
 * ```
 */
export function openSameFile(path: string, expected: Stats): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch {
    return undefined;
  }
  const st = fstatSync(fd);
  if (st.ino === expected.ino && st.dev === expected.dev) return fd;
  closeSync(fd);
  return undefined;
}

function checkAdoptable(path: string, st: Stats, mode: number): void {
  if (!st.isFile()) {
    throw new AuditLogPathError(path, 'ENOTREG', 'write', 'it is not a regular file');
  }
  // Windows has no uids and no group/other bits to check.
  const me = process.getuid?.();
  if (me === undefined) return;
  if (st.uid !== me) throw UnsafeAuditLogError.owner(path, st.uid, me);
  if ((st.mode & 0o077 & ~mode) !== 0) throw UnsafeAuditLogError.mode(path, st.mode, mode);
}

/**
 * Creates `dir` and its missing parents one level at a time, each `0700`. Node's recursive
 * mkdir reports EEXIST for a parent that is a file, and can loop forever under /proc; this
 * stops at the first level that cannot be made, with that level's own error (ENOTDIR,
 * EACCES, ENOENT, …). Existing levels are left as they are.
 */
function makePrivateDirectories(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const st = statOrUndefined(at);
    if (st) {
      if (!st.isDirectory()) {
        throw Object.assign(new Error(`'${at}' is a file, not a directory`), { code: 'ENOTDIR' });
      }
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, 0o700);
    } catch (err) {
      // Made meanwhile by another process: fine.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statOrUndefined(level)?.isDirectory())
        throw err;
    }
  }
}

/**
 * `stat` that answers undefined for a missing path.
 *
 * @example
 * ```ts
 * if (!statOrUndefined(path)) console.log('gone');
 * ```
 */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
