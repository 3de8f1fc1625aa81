import { ConfigurationError } from '@agentsudo/core';

/**
 * The audit log cannot be opened at `path`: raised when the transport is configured, so
 * a bad path is never silent loss later. `code` is the system error (`EACCES`, `ENOTDIR`,
 * `EISDIR`, `ENOENT`, …).
 *
 * @example
 * ```ts
 * try {
 *   new FileTransport({ filename: '/etc/passwd/audit.jsonl' });
 * } catch (e) {
 *   if (e instanceof AuditLogPathError) console.error(e.path, e.code);
 * }
 * ```
 */
export class AuditLogPathError extends ConfigurationError {
  constructor(
    readonly path: string,
    readonly code: string,
    readonly operation: 'write' | 'read',
    detail: string,
    message: string = operation === 'write'
      ? `Cannot write the audit log at '${path}': ${code} (${detail}). ` +
        `Pick a filename in a directory this process can create and write, e.g. './logs/agentsudo.jsonl'.`
      : `Cannot read the audit log at '${path}': ${code} (${detail}). Check the path and its permissions.`,
  ) {
    super(message);
    this.name = 'AuditLogPathError';
  }

  /** Wraps a failed fs call on `path`. */
  static from(path: string, err: unknown, operation: 'write' | 'read'): AuditLogPathError {
    const e = err as NodeJS.ErrnoException;
    const code = e?.code ?? 'EUNKNOWN';
    const detail = (EXPLANATIONS[code] ?? e?.message ?? String(err)).replace(/\.$/, '');
    return new AuditLogPathError(path, code, operation, detail);
  }
}

/**
 * What makes an existing audit log unsafe to adopt:
 * - `symlink`: the path is a symbolic link (another account could point it at any file);
 * - `owner`: another user owns the file (they could read it, or swap its contents);
 * - `mode`: group or others may read or write it beyond what the `mode` option allows;
 * - `hardlink`: the file has another name (a hard link), which may be another account's file;
 * - `folder`: a folder above it belongs to another account, or group or others may write in
 *   it (without the sticky bit), so they could delete or replace the log.
 *
 * @example
 * ```ts
 * const problem: UnsafeAuditLogProblem = 'owner';
 * ```
 */
export type UnsafeAuditLogProblem = 'symlink' | 'owner' | 'mode' | 'hardlink' | 'folder';

/**
 * The audit log at `path` is not safe to write: it is a symbolic link or a hard link,
 * another user owns it, group or others may read or write it, or a folder above it is open
 * to another account. The file is left untouched, and the message says how to fix it. A
 * subclass of {@link AuditLogPathError} (`code` is `ELOOP`, `EOWNER`, `EMODE`, `ENLINK` or
 * `EFOLDER`), so code that catches bad paths catches this too.
 *
 * @example
 * ```ts
 * try {
 *   new FileTransport({ filename: '/var/log/app/agentsudo.jsonl' });
 * } catch (e) {
 *   if (e instanceof UnsafeAuditLogError && e.problem === 'mode') console.error(e.message); // run chmod 600 …
 * }
 * ```
 */
export class UnsafeAuditLogError extends AuditLogPathError {
  constructor(
    path: string,
    readonly problem: UnsafeAuditLogProblem,
    /** The file's owner (uid), when known. */
    readonly owner: number | undefined,
    /** The file's permission bits, when known. */
    readonly fileMode: number | undefined,
    message: string,
    /** For `folder`: the folder at fault. */
    readonly folder?: string,
  ) {
    super(path, UNSAFE_CODES[problem], 'write', problem, message);
    this.name = 'UnsafeAuditLogError';
  }

  /** The path is a symbolic link: never written through. */
  static symlink(path: string): UnsafeAuditLogError {
    return new UnsafeAuditLogError(
      path,
      'symlink',
      undefined,
      undefined,
      `Refusing the audit log at '${path}': it is a symbolic link, and an audit log is never written ` +
        `through one (another account could point it at a file of yours). Remove the link, or set ` +
        `filename to the real file in a directory only you can write.`,
    );
  }

  /** Another user owns the file. */
  static owner(path: string, owner: number, me: number): UnsafeAuditLogError {
    return new UnsafeAuditLogError(
      path,
      'owner',
      owner,
      undefined,
      `Refusing the audit log at '${path}': it belongs to uid ${owner}, not to this process (uid ${me}), ` +
        `so that user could read or rewrite the audit trail. Move it aside or delete it (a new private ` +
        `file is then created), or pick another filename.`,
    );
  }

  /** The file has `links` names: one of them may be another account's file. */
  static hardlink(path: string, links: number): UnsafeAuditLogError {
    return new UnsafeAuditLogError(
      path,
      'hardlink',
      undefined,
      undefined,
      `Refusing the audit log at '${path}': it has ${links} hard links, so it may be another file of ` +
        `yours under a second name (another account could have linked it there). Remove '${path}' ` +
        `(a new private file is then created), or pick another filename.`,
    );
  }

  /** A folder above the log is open to another account. */
  static folder(path: string, found: { path: string; reason: string; problem: string }): UnsafeAuditLogError {
    const fix =
      found.problem === 'mode'
        ? `run chmod o-w,g-w '${found.path}' (or chmod +t to make it sticky like /tmp)`
        : found.problem === 'owner'
          ? `use a folder that you or root own`
          : `replace it with a real folder`;
    return new UnsafeAuditLogError(
      path,
      'folder',
      undefined,
      undefined,
      `Refusing the audit log at '${path}': the folder '${found.path}' above it is not safe (${found.reason}), ` +
        `so another account could delete or replace the log. To fix: ${fix}, or pick a filename in a ` +
        `folder only you can write.`,
      found.path,
    );
  }

  /** Group or others have more access than `allowed` grants. */
  static mode(path: string, fileMode: number, allowed: number): UnsafeAuditLogError {
    const octal = (m: number) => `0${(m & 0o777).toString(8).padStart(3, '0')}`;
    return new UnsafeAuditLogError(
      path,
      'mode',
      undefined,
      fileMode & 0o777,
      `Refusing the audit log at '${path}': its mode is ${octal(fileMode)}, so group or others may ` +
        `read or write it. Run chmod ${octal(fileMode & allowed & 0o777)} '${path}', or pass the mode ` +
        `you mean to allow (e.g. mode: 0o640 for a log shipper's group), then start again.`,
    );
  }
}

const UNSAFE_CODES: Record<UnsafeAuditLogProblem, string> = {
  symlink: 'ELOOP',
  owner: 'EOWNER',
  mode: 'EMODE',
  hardlink: 'ENLINK',
  folder: 'EFOLDER',
};

const EXPLANATIONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a parent of it is a file, not a directory',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/**
 * A line of an audit log that is not a valid event, with where it is.
 *
 * @example
 * ```ts
 * try { await readAuditLog('audit.jsonl'); }
 * catch (e) { if (e instanceof AuditLogFormatError) console.error(`${e.file}:${e.line}`); }
 * ```
 */
export class AuditLogFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(
      `${file}:${line} is not an AgentSudo event: ${reason}. ` +
        `Pass onInvalidLine to readAuditLog to skip such lines instead.`,
    );
    this.name = 'AuditLogFormatError';
  }
}
