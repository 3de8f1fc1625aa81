import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { AuditLogPathError, UnsafeAuditLogError } from './errors';
import { ensureTrustedDir, UnsafeFolderError } from '@agentsudo/private-files';

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
 * when absent. Every folder above it must belong to this user or root and be closed to
 * writes by group and others unless sticky (see {@link ensureTrustedDir}): otherwise another
 * account could delete or replace the log. An existing file is adopted only when it is a
 * regular file, not a symbolic link, with no other hard link, owned by this process's
 * user, and no more open to group and others than `mode`. The checks read the opened
 * descriptor, so the file cannot be swapped between check and use.
 *
 * @example
 * ```ts
 * const fd = openPrivateAppend('/var/log/app/agentsudo.jsonl', 0o600);
 * ```
 * @throws UnsafeAuditLogError for a symlink, a hard link, a foreign owner, a too open mode
 *   or an unsafe folder above; AuditLogPathError for any other failure, naming the path.
 */
export function openPrivateAppend(path: string, mode: number): number {
  try {
    ensureTrustedDir(dirname(path));
  } catch (err) {
    if (!(err instanceof UnsafeFolderError)) throw AuditLogPathError.from(path, err, 'write');
    if (err.code) throw AuditLogPathError.from(path, err, 'write');
    throw UnsafeAuditLogError.folder(path, err);
  }
  let fd: number;
  try {
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
  // Another name for the same file could be anyone's (a link to ~/.ssh/authorized_keys).
  if (st.nlink !== 1) throw UnsafeAuditLogError.hardlink(path, st.nlink);
  if ((st.mode & 0o077 & ~mode) !== 0) throw UnsafeAuditLogError.mode(path, st.mode, mode);
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
