import { addTransport, getTransports, removeTransport } from '@agentsudo/core';
import { ConsoleTransport, type ConsoleTransportOptions } from '@agentsudo/transport-console';
import { FileTransport, type FileTransportOptions } from '@agentsudo/transport-file';

/** The console transport this package manages (installed at import or by configureConsole). */
let managedConsole: ConsoleTransport | undefined;
/** File logs added by configureFileLog, by absolute path. */
const managedFiles = new Map<string, FileTransport>();

/**
 * Installs the console transport at level `warn` when nothing is configured yet, so a
 * program that only imports `agentsudo` sees its denials and audit violations on stderr.
 * Runs once, when the package is imported.
 *
 * @example
 * ```ts
 * installDefaultConsole(); // no-op when configure() or addTransport() ran first
 * ```
 */
export function installDefaultConsole(): void {
  if (getTransports().length > 0) return;
  managedConsole = new ConsoleTransport();
  addTransport(managedConsole);
}

/**
 * Replaces the console transport with one built from `options`, or removes it with
 * `false`. Other transports (a file log, the dashboard) are left as they are.
 *
 * @example
 * ```ts
 * import { configureConsole } from 'agentsudo';
 * configureConsole({ level: 'debug' }); // show every allowed check too
 * configureConsole(false);              // silence the console
 * ```
 */
export function configureConsole(options: ConsoleTransportOptions | false): ConsoleTransport | undefined {
  const next = options === false ? undefined : new ConsoleTransport(options);
  if (managedConsole && removeTransport(managedConsole)) void managedConsole.close();
  managedConsole = next;
  if (next) addTransport(next);
  return next;
}

/**
 * Adds the JSON Lines audit log beside the other transports and returns it. The path is
 * checked now: an unwritable one throws `AuditLogPathError` naming it. Calling again with
 * the same filename replaces the earlier log's options.
 *
 * @example
 * ```ts
 * import { configureFileLog } from 'agentsudo';
 * configureFileLog({ filename: 'logs/agentsudo.jsonl', maxSize: 10 * 1024 * 1024, maxFiles: 5 });
 * ```
 */
export function configureFileLog(options: FileTransportOptions): FileTransport {
  const transport = new FileTransport(options);
  const previous = managedFiles.get(transport.filename);
  if (previous && removeTransport(previous)) void previous.close();
  managedFiles.set(transport.filename, transport);
  addTransport(transport);
  return transport;
}
