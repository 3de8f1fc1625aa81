/**
 * agentsudo: the permission layer for AI agents. Everything from `@agentsudo/core`,
 * the console, file and cloud transports, and defaults: importing this package installs the
 * console transport (level `warn`) when nothing else is configured.
 *
 * @example
 * ```ts
 * import { Agent, Sudo, PermissionError, configureFileLog } from 'agentsudo';
 *
 * configureFileLog({ filename: 'logs/agentsudo.jsonl' });
 * const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
 * ```
 */
import { installDefaultConsole } from './defaults';

export * from '@agentsudo/core';
export {
  ConsoleTransport,
  levelFor,
  renderPretty,
  renderJson,
  type ConsoleTransportOptions,
  type ConsoleLevel,
} from '@agentsudo/transport-console';
export {
  FileTransport,
  SyncAppendTransport,
  LineAppender,
  readAuditLog,
  compileFilter,
  rotatedFiles,
  AuditLogPathError,
  AuditLogFormatError,
  type FileTransportOptions,
  type SyncAppendTransportOptions,
  type LineAppenderOptions,
  type AuditLogFilter,
  type ReadAuditLogOptions,
} from '@agentsudo/transport-file';
export {
  configureCloud,
  disableCloud,
  getCloudConfig,
  flushCloud,
  shutdownCloud,
  getCloudStats,
  CloudTransport,
  CloudConfigError,
  DEFAULT_ENDPOINT,
  type CloudConfig,
  type CloudHandle,
  type CloudOptions,
  type ResolvedCloudOptions,
  type CloudStats,
  type DropReason,
} from '@agentsudo/transport-cloud';
export { configureConsole, configureFileLog } from './defaults';

installDefaultConsole();
