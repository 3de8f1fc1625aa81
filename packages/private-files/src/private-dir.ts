import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  type Stats,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The sticky bit: in such a folder only a file's owner may delete or rename it. */
const STICKY = 0o1000;

/**
 * What makes a folder unsafe: `symlink` (a link where a real folder must be), `not_dir`
 * (a file is in the way), `owner` (another account owns it), `mode` (group or others may
 * add, rename or delete files in it), `io` (it cannot be created or inspected).
 *
 * @example
 * ```ts
 * const problem: FolderProblem = 'owner';
 * ```
 */
export type FolderProblem = 'symlink' | 'not_dir' | 'owner' | 'mode' | 'io';

/**
 * A folder found unsafe, with what is wrong (`reason`, a phrase that completes "… : ") and
 * the facts behind it. Each package turns it into its own error, with its own fix.
 *
 * @example
 * ```ts
 * try { ensureTrustedDir('/srv/team/logs'); }
 * catch (e) { if (e instanceof UnsafeFolderError) console.error(e.path, e.reason); }
 * ```
 */
export class UnsafeFolderError extends Error {
  constructor(
    /** The folder at fault: the given path, one of its parents, or where a link leads. */
    readonly path: string,
    readonly problem: FolderProblem,
    /** Why, e.g. `it belongs to uid 65534, not to this process (uid 1000)`. */
    readonly reason: string,
    /** Its owner, when known. */
    readonly uid?: number,
    /** Its permission bits, when known. */
    readonly mode?: number,
    /** The system error (`EACCES`, `ENOTDIR`, …) when the folder could not be made or read. */
    readonly code?: string,
  ) {
    super(`Unsafe folder '${path}': ${reason}`);
    this.name = 'UnsafeFolderError';
  }
}

/**
 * Where a folder is on disk: the same path with another identity was replaced.
 *
 * @example
 * ```ts
 * const same = (a: FolderIdentity, b: FolderIdentity) => a.dev === b.dev && a.ino === b.ino;
 * ```
 */
export interface FolderIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * Makes `dir` exist (missing levels are created `0700`, one at a time) and checks that no
 * other account can change what it holds: every folder on its path, and on the real path
 * its links lead to, belongs to this user or root and is not writable by group or others
 * unless sticky (like `/tmp`, where only a file's owner may delete or rename it). A link on
 * the path must belong to this user or root too.
 *
 * @example
 * ```ts
 * ensureTrustedDir('/var/log/myapp'); // fine: root's /var/log, a folder of ours below
 * ```
 * @throws UnsafeFolderError naming the first folder at fault.
 */
export function ensureTrustedDir(dir: string): void {
  const abs = resolve(dir);
  let existing = abs;
  while (!lstatOrUndefined(existing) && dirname(existing) !== existing) existing = dirname(existing);
  // Nothing is created under a folder another account controls.
  checkTrustedPath(existing);
  if (existing === abs) return;
  makeMissingLevels(abs);
  checkTrustedPath(abs);
}

/**
 * Makes `dir` exist and private to this user: the folders above `from` are trusted (see
 * {@link ensureTrustedDir}), and each folder from `from` down to `dir` (`from` is `dir` or a
 * folder above it) is a real folder, not a link, owned by this user and not writable by
 * group or others. The last level is checked through a descriptor opened without following
 * a link, and its identity returned, so a caller can tell when it was replaced.
 *
 * @example
 * ```ts
 * const id = ensurePrivateDir('/home/me/.agentsudo/spool/0123abcd', '/home/me/.agentsudo');
 * ```
 * @throws UnsafeFolderError naming the first folder at fault.
 */
export function ensurePrivateDir(dir: string, from: string = dir): FolderIdentity {
  const abs = resolve(dir);
  const top = resolve(from);
  const rel = relative(top, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`'${from}' is not a folder above '${dir}'`);
  ensureTrustedDir(dirname(top));
  const levels = [top];
  for (const part of rel === '' ? [] : rel.split(sep)) levels.push(join(levels[levels.length - 1], part));
  let identity: FolderIdentity | undefined;
  for (const level of levels) {
    try {
      mkdirSync(level, 0o700);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(level, err);
    }
    identity = checkPrivateLevel(level);
  }
  return identity!;
}

/** Opens `dir` without following a link and checks it through the descriptor. */
function checkPrivateLevel(dir: string): FolderIdentity {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UnsafeFolderError(dir, 'symlink', 'it is a symbolic link');
    if (code === 'ENOTDIR') {
      const link = lstatOrUndefined(dir)?.isSymbolicLink();
      if (link) throw new UnsafeFolderError(dir, 'symlink', 'it is a symbolic link');
      throw new UnsafeFolderError(dir, 'not_dir', 'it is not a folder');
    }
    throw ioError(dir, err);
  }
  try {
    const st = fstatSync(fd);
    const me = process.getuid?.();
    // Windows has no uids and no group/other bits to check.
    if (me !== undefined) {
      if (st.uid !== me) throw ownerError(dir, st, me, false);
      if ((st.mode & 0o022) !== 0) throw modeError(dir, st);
    }
    return { dev: st.dev, ino: st.ino };
  } finally {
    closeSync(fd);
  }
}

/** Checks every level of `abs` as written, then every level of where it really is. */
function checkTrustedPath(abs: string): void {
  const me = process.getuid?.();
  if (me === undefined) return;
  for (const level of levelsOf(abs)) checkTrustedLevel(level, lstatOrThrow(level), me);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (err) {
    throw ioError(abs, err);
  }
  if (real !== abs) for (const level of levelsOf(real)) checkTrustedLevel(level, lstatOrThrow(level), me);
}

function checkTrustedLevel(path: string, st: Stats, me: number): void {
  if (st.uid !== me && st.uid !== 0) throw ownerError(path, st, me, true);
  // A link's own bits mean nothing; where it leads is checked on the real path.
  if (st.isSymbolicLink()) return;
  if (!st.isDirectory()) {
    throw new UnsafeFolderError(path, 'not_dir', 'it is not a folder', st.uid, undefined, 'ENOTDIR');
  }
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) throw modeError(path, st);
}

/** `/`, `/a`, `/a/b`, … `abs`. */
function levelsOf(abs: string): string[] {
  const levels: string[] = [];
  for (let at = abs; ; at = dirname(at)) {
    levels.unshift(at);
    if (dirname(at) === at) return levels;
  }
}

/**
 * Creates the missing levels of `abs`, `0700`, from the top down. Node's recursive mkdir
 * reports EEXIST for a parent that is a file and can loop forever under /proc; this stops
 * at the first level that cannot be made, with that level's own error.
 */
function makeMissingLevels(abs: string): void {
  const missing: string[] = [];
  for (let at = abs; !lstatOrUndefined(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level, 0o700);
    } catch (err) {
      // Made meanwhile by another process: fine, the checks that follow judge it.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(level, err);
    }
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function lstatOrThrow(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (err) {
    throw ioError(path, err);
  }
}

function ownerError(path: string, st: Stats, me: number, rootToo: boolean): UnsafeFolderError {
  return new UnsafeFolderError(
    path,
    'owner',
    `it belongs to uid ${st.uid}, not to this process (uid ${me})${rootToo ? ' or root' : ''}`,
    st.uid,
    st.mode & 0o7777,
  );
}

function modeError(path: string, st: Stats): UnsafeFolderError {
  const mode = `0${(st.mode & 0o777).toString(8)}`;
  return new UnsafeFolderError(
    path,
    'mode',
    `its mode is ${mode}, so other accounts may add, rename or delete files in it`,
    st.uid,
    st.mode & 0o7777,
  );
}

function ioError(path: string, err: unknown): UnsafeFolderError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EUNKNOWN';
  if (code === 'ENOTDIR') {
    return new UnsafeFolderError(
      path,
      'not_dir',
      'it or a folder above it is not a folder',
      undefined,
      undefined,
      code,
    );
  }
  return new UnsafeFolderError(
    path,
    'io',
    `it cannot be created or read (${e?.code ?? String(err)})`,
    undefined,
    undefined,
    code,
  );
}
