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
  ) {
    super(
      operation === 'write'
        ? `Cannot write the audit log at '${path}': ${code} (${detail}). ` +
            `Pick a filename in a directory this process can create and write, e.g. './logs/agentsudo.jsonl'.`
        : `Cannot read the audit log at '${path}': ${code} (${detail}). Check the path and its permissions.`,
    );
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
