import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname, relative, join, sep } from 'node:path';
import { SpoolDirError } from './errors';

/**
 * Makes `dir` exist and checks it is private to this user: each folder from `from` down
 * to `dir` (`from` is `dir` itself or a folder above it) is created `0700` when missing,
 * and must be a real folder (not a symbolic link), owned by this user, and not writable
 * by group or others. Folders above `from` are created `0700` but not checked (they are
 * the user's own choice, such as `$XDG_STATE_HOME`).
 *
 * @example
 * ```ts
 * ensurePrivateDir('/home/me/.agentsudo/spool/0123abcd', '/home/me/.agentsudo');
 * ```
 * @throws SpoolDirError naming the first folder at fault and how to fix it.
 */
export function ensurePrivateDir(dir: string, from: string = dir): void {
  const rel = relative(from, dir);
  const levels = [from];
  if (rel !== '') {
    let at = from;
    for (const part of rel.split(sep)) levels.push((at = join(at, part)));
  }
  try {
    mkdirSync(dirname(from), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(dirname(from), err);
  }
  for (const level of levels) {
    try {
      mkdirSync(level, 0o700);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(level, err);
    }
    let st: Stats;
    try {
      st = lstatSync(level);
    } catch (err) {
      throw ioError(level, err);
    }
    checkPrivate(level, st);
  }
}

function checkPrivate(dir: string, st: Stats): void {
  if (st.isSymbolicLink()) {
    throw new SpoolDirError(
      dir,
      'symlink',
      'it is a symbolic link (another account could point it anywhere)',
      `remove the link, or set configureCloud({ spoolDir }) to a real folder only you can write.`,
    );
  }
  if (!st.isDirectory()) {
    throw new SpoolDirError(
      dir,
      'not_dir',
      'it is not a folder',
      `move the file away or set another spoolDir.`,
    );
  }
  // Windows has no uids and no group/other bits to check.
  const me = process.getuid?.();
  if (me === undefined) return;
  if (st.uid !== me) {
    throw new SpoolDirError(
      dir,
      'owner',
      `it belongs to uid ${st.uid}, not to this process (uid ${me})`,
      `remove it (another account may have planted it), or set configureCloud({ spoolDir }) to a folder of your own.`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = `0${(st.mode & 0o777).toString(8)}`;
    throw new SpoolDirError(
      dir,
      'mode',
      `its mode is ${mode}, so other accounts may add or delete files in it`,
      `run chmod 700 '${dir}', or set configureCloud({ spoolDir }) to a private folder.`,
    );
  }
}

function ioError(dir: string, err: unknown): SpoolDirError {
  const e = err as NodeJS.ErrnoException;
  return new SpoolDirError(
    dir,
    'io',
    `it cannot be created or read (${e?.code ?? String(err)})`,
    `set configureCloud({ spoolDir }) to a folder this process can create and write, or spoolDir: false.`,
  );
}
