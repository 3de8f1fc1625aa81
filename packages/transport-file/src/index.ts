/**
 * @agentsudo/transport-file: the JSON Lines audit log. Every event is one line in its
 * wire form, written synchronously (nothing is lost on exit), read back with
 * `readAuditLog` or the `agentsudo logs` command.
 *
 * @example
 * ```ts
 * import { addTransport } from '@agentsudo/core';
 * import { FileTransport, readAuditLog } from '@agentsudo/transport-file';
 *
 * addTransport(new FileTransport({ filename: 'logs/agentsudo.jsonl' }));
 * const denials = await readAuditLog('logs/agentsudo.jsonl', { denied: true });
 * ```
 */
export { FileTransport, type FileTransportOptions } from './file-transport';
export { LineAppender, type LineAppenderOptions } from './line-appender';
export { readAuditLog, compileFilter, type AuditLogFilter, type ReadAuditLogOptions } from './read-log';
export { rotatedFiles } from './rotation';
export {
  AuditLogPathError,
  AuditLogFormatError,
  UnsafeAuditLogError,
  type UnsafeAuditLogProblem,
} from './errors';
