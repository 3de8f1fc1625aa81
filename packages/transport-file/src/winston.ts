/**
 * @agentsudo/transport-file/winston: the audit log's exit-safe writer as a winston
 * transport, for your own winston loggers. It has its own entry point because it extends
 * winston-transport's stream class: importing the package's main entry point (the audit
 * log and its reader) loads no winston code until a `FileTransport` is created.
 *
 * @example
 * ```ts
 * import { createLogger, format } from 'winston';
 * import { SyncAppendTransport } from '@agentsudo/transport-file/winston';
 *
 * const logger = createLogger({ format: format.json(), transports: [new SyncAppendTransport({ filename: 'app.jsonl' })] });
 * ```
 */
export { SyncAppendTransport, MESSAGE, type SyncAppendTransportOptions } from './sync-append-transport';
