import { closeSync, linkSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';

/** A rotation lock older than this was left by a crashed process and is taken over. */
const STALE_LOCK_MS = 30_000;

/**
 * Shifts `file` → `file.1` → … → `file.<maxFiles>`, deleting what falls off the end.
 * Renames only: no byte of a kept file is rewritten or truncated.
 *
 * @example
 * ```ts
 * shiftRotated('/var/log/agentsudo.jsonl', 5);
 * ```
 */
export function shiftRotated(file: string, maxFiles: number): void {
  // Rename only the files that exist (a handful), not every slot up to maxFiles: the
  // shorter the rotation, the less other processes write past maxSize meanwhile.
  let last = 0;
  while (last < maxFiles && exists(`${file}.${last + 1}`)) last++;
  if (last === maxFiles) ignoreMissing(() => unlinkSync(`${file}.${last--}`));
  for (let i = last; i >= 1; i--) {
    ignoreMissing(() => renameSync(`${file}.${i}`, `${file}.${i + 1}`));
  }
  ignoreMissing(() => renameSync(file, `${file}.1`));
}

/**
 * The rotated files of `file` that exist, oldest first (`file.3`, `file.2`, `file.1`).
 *
 * @example
 * ```ts
 * [...rotatedFiles('audit.jsonl'), 'audit.jsonl']; // the whole history in order
 * ```
 */
export function rotatedFiles(file: string): string[] {
  const found: string[] = [];
  for (let i = 1; exists(`${file}.${i}`); i++) found.unshift(`${file}.${i}`);
  return found;
}

/**
 * Runs `fn` holding `<file>.lock`, so that of several processes sharing one log only one
 * rotates it at a time (two concurrent renames would overwrite `file.1`). Returns false,
 * without running `fn`, when another process holds the lock.
 *
 * @example
 * ```ts
 * withRotationLock(file, () => shiftRotated(file, 5));
 * ```
 */
export function withRotationLock(file: string, fn: () => void): boolean {
  const lock = `${file}.lock`;
  if (!tryCreate(lock) && !(clearStale(lock) && tryCreate(lock))) return false;
  try {
    fn();
  } finally {
    ignoreMissing(() => unlinkSync(lock));
  }
  return true;
}

/**
 * True when the lock is gone: it was released meanwhile, or it was left by a crashed
 * process and this one removed it. A lock that a live process just took is never removed:
 * two holders would rename over each other's files.
 */
function clearStale(lock: string): boolean {
  const age = ageMs(lock);
  if (age === undefined) return true; // released meanwhile
  if (age <= STALE_LOCK_MS) return false;
  // Of several processes that found it stale, only the one whose rename succeeds goes on.
  const aside = `${lock}.${process.pid}.stale`;
  try {
    renameSync(lock, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const fresh = (ageMs(aside) ?? Infinity) <= STALE_LOCK_MS;
  if (fresh) {
    // Another process replaced the stale lock with its own in between: give it back
    // (unless yet another lock is already there).
    try {
      linkSync(aside, lock);
    } catch {
      // EEXIST: a lock is held again either way.
    }
  }
  ignoreMissing(() => unlinkSync(aside));
  return !fresh;
}

/** Milliseconds since `path` was last modified, or undefined when it does not exist. */
function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function tryCreate(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function ignoreMissing(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
