import { closeSync, fstatSync, readSync, writeSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError } from '@agentsudo/core';
import { openPrivateAppend, openSameFile, statOrUndefined } from './private-file';
import { shiftRotated, withRotationLock } from './rotation';

const NEWLINE = 0x0a;
/** How often the path is checked for a rename (logrotate, `mv`); lines meanwhile land in the renamed file. */
const FOLLOW_RENAME_MS = 1000;

/**
 * Where and how lines are appended.
 *
 * @example
 * ```ts
 * const options: LineAppenderOptions = { maxSize: 10 * 1024 * 1024, maxFiles: 5 };
 * ```
 */
export interface LineAppenderOptions {
  /** Rotate when the file would grow past this many bytes. Default: never rotate. */
  maxSize?: number;
  /** Rotated files kept (`file.1` … `file.<maxFiles>`); the oldest is deleted. Default 5. */
  maxFiles?: number;
  /**
   * Permissions of a newly created file, and the most an existing file may grant group and
   * others before it is refused. Default `0o600`: audit logs are sensitive.
   */
  mode?: number;
}

/**
 * Appends whole lines to a file, each with ONE synchronous `write(2)` on a descriptor
 * opened with `O_APPEND`. That is what makes the log trustworthy:
 * - the line is in the kernel before `append()` returns, so `process.exit()`, a signal or
 *   a crash right after cannot lose it (an asynchronous stream would still hold it);
 * - `O_APPEND` writes land whole at the end, so processes sharing the file never
 *   interleave parts of lines, and a crash leaves every earlier line intact.
 *
 * @example
 * ```ts
 * const log = new LineAppender('logs/audit.jsonl', { maxSize: 1_000_000 });
 * log.append(JSON.stringify({ hello: 'world' }));
 * log.close();
 * ```
 */
export class LineAppender {
  /** Absolute path of the live file. */
  readonly path: string;
  readonly maxSize: number | undefined;
  readonly maxFiles: number;
  readonly mode: number;
  private fd: number | undefined;
  private nextRenameCheck = 0;

  /** @throws AuditLogPathError naming the path when it cannot be created or written. */
  constructor(path: string, options: LineAppenderOptions = {}) {
    if (typeof path !== 'string' || path.trim() === '') {
      throw new ConfigurationError(
        `Audit log filename must be a non-empty path such as './logs/agentsudo.jsonl', got ${JSON.stringify(path)}.`,
      );
    }
    const { maxSize, maxFiles = 5, mode = 0o600 } = options;
    if (maxSize !== undefined && !(Number.isInteger(maxSize) && maxSize > 0)) {
      throw new ConfigurationError(
        `Audit log maxSize must be a positive whole number of bytes (e.g. 10485760 for 10 MiB), got ${String(maxSize)}.`,
      );
    }
    if (!(Number.isInteger(maxFiles) && maxFiles >= 1)) {
      throw new ConfigurationError(
        `Audit log maxFiles must be a whole number of at least 1 (rotated files kept), got ${String(maxFiles)}.`,
      );
    }
    if (!(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
      throw new ConfigurationError(
        `Audit log mode must be permission bits from 0o000 to 0o777 (e.g. 0o600), got ${String(mode)}.`,
      );
    }
    this.path = resolve(path);
    this.maxSize = maxSize;
    this.maxFiles = maxFiles;
    this.mode = mode;
    this.fd = this.open();
  }

  /** Appends `line` and a newline; `line` must not contain a newline itself. */
  append(line: string): void {
    if (this.fd === undefined) {
      throw new Error(
        `The audit log '${this.path}' is closed; configure a new FileTransport to write again.`,
      );
    }
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    try {
      this.prepare(bytes.length);
      writeWhole(this.fd, bytes);
    } catch {
      // The descriptor may have gone stale (file removed, device hiccup): reopen once so
      // this line still lands, and let a second failure reach the dispatcher's report.
      this.reopen();
      writeWhole(this.fd, bytes);
    }
  }

  /** Closes the file; later appends throw. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  /**
   * Follows a deleted file at once and a renamed one within a second (so logrotate's default
   * `create` mode works: nothing is copied, nothing can be lost), and rotates before a line
   * would cross `maxSize`.
   */
  private prepare(incoming: number): void {
    const st = fstatSync(this.fd!);
    if (st.nlink === 0) {
      this.reopen();
      return;
    }
    const now = Date.now();
    if (now >= this.nextRenameCheck) {
      this.nextRenameCheck = now + FOLLOW_RENAME_MS;
      if (!sameFile(st, statOrUndefined(this.path))) {
        this.reopen();
        return;
      }
    }
    if (this.maxSize !== undefined && st.size > 0 && st.size + incoming > this.maxSize) this.rotate(st);
  }

  private rotate(ours: Stats): void {
    const locked = withRotationLock(this.path, () => {
      // Another process may have rotated already; then our descriptor points at file.1
      // and following the new live file is all there is to do.
      if (sameFile(ours, statOrUndefined(this.path))) shiftRotated(this.path, this.maxFiles);
      this.reopen();
    });
    // Another process is rotating right now: write to the live file as it stands (it may
    // exceed maxSize by a few lines) rather than wait or drop the line.
    if (!locked) this.reopen();
  }

  private reopen(): void {
    const old = this.fd;
    this.fd = this.open();
    if (old !== undefined) {
      try {
        closeSync(old);
      } catch {
        // Already unusable; the new descriptor is what matters.
      }
    }
  }

  private open(): number {
    const fd = openPrivateAppend(this.path, this.mode);
    sealTornLine(this.path, fd);
    return fd;
  }
}

/**
 * A file whose last byte is not a newline ends in a line cut short by some earlier
 * crash or foreign writer; start on a fresh line so our first event stays parseable.
 */
function sealTornLine(path: string, fd: number): void {
  const st = fstatSync(fd);
  const size = st.size;
  if (size === 0) return;
  let reader: number | undefined;
  try {
    reader = openSameFile(path, st);
    if (reader === undefined) return;
    const last = Buffer.alloc(1);
    readSync(reader, last, 0, 1, size - 1);
    if (last[0] !== NEWLINE) writeWhole(fd, Buffer.from('\n'));
  } catch {
    // Unreadable (write-only file): nothing to check, appending still works.
  } finally {
    if (reader !== undefined) closeSync(reader);
  }
}

function writeWhole(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function sameFile(a: Stats, b: Stats | undefined): boolean {
  return b !== undefined && a.ino === b.ino && a.dev === b.dev;
}
