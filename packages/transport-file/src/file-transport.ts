import { ConfigurationError, toWire, type SudoAction, type SudoEvent, type Transport } from '@agentsudo/core';
import type { Logger } from 'winston';
import type { LineAppenderOptions } from './line-appender';
import type { SyncAppendTransport } from './sync-append-transport';

/**
 * Options of the JSON Lines audit log.
 *
 * @example
 * ```ts
 * const options: FileTransportOptions = { filename: 'logs/agentsudo.jsonl', maxSize: 10 * 1024 * 1024, maxFiles: 5 };
 * ```
 */
export interface FileTransportOptions extends LineAppenderOptions {
  /** The log file; parent directories are created. An existing file is appended to. */
  filename: string;
  /**
   * Which events to keep; asked once per (action, allowed) pair. Default: every event,
   * allowed checks included, since an audit trail is about what happened.
   */
  wants?: (action: SudoAction, allowed: boolean) => boolean;
}

/**
 * The audit log: one event per line in its JSON wire form (the same JSON the dashboard
 * accepts), appended through winston with a synchronous `O_APPEND` write per line.
 * An event logged right before `process.exit()`, a signal or a crash is in the file;
 * processes sharing the file leave only whole lines; a new file gets mode `0600`.
 *
 * @example
 * ```ts
 * import { addTransport } from '@agentsudo/core';
 * import { FileTransport } from '@agentsudo/transport-file';
 *
 * addTransport(new FileTransport({ filename: 'logs/agentsudo.jsonl', maxSize: 10_000_000 }));
 * ```
 */
export class FileTransport implements Transport {
  readonly name = 'file';
  /** Absolute path of the live log file. */
  readonly filename: string;
  private readonly sink: SyncAppendTransport;
  private readonly logger: Logger;
  private readonly filter: ((action: SudoAction, allowed: boolean) => boolean) | undefined;
  private closed = false;

  /** @throws AuditLogPathError naming the path when it cannot be created or written. */
  constructor(options: FileTransportOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError(
        "FileTransport(options): pass an object like { filename: './logs/agentsudo.jsonl' }.",
      );
    }
    if (options.wants !== undefined && typeof options.wants !== 'function') {
      throw new ConfigurationError('FileTransport: wants must be a function (action, allowed) => boolean.');
    }
    this.filter = options.wants;
    // winston and the winston-transport base class are loaded here rather than imported:
    // a program that only reads logs, or never configures a file log, never pays for them.
    const { createLogger, format } = require('winston') as typeof import('winston');
    const { MESSAGE, SyncAppendTransport: Sink } =
      require('./sync-append-transport') as typeof import('./sync-append-transport');
    this.sink = new Sink({ ...options, level: 'audit' });
    this.filename = this.sink.appender.path;
    this.logger = createLogger({
      levels: { audit: 0 },
      level: 'audit',
      format: format((info) => {
        (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify(toWire(info.event as SudoEvent));
        return info;
      })(),
      transports: [this.sink],
    });
    this.logger.on('error', () => undefined);
  }

  wants(action: SudoAction, allowed: boolean): boolean {
    return this.filter ? this.filter(action, allowed) : true;
  }

  /** Writes the event before returning; a failed write throws for the dispatcher to report. */
  log(event: SudoEvent): void {
    if (this.closed) {
      throw new Error(
        `The audit log '${this.filename}' is closed; configure a new FileTransport to write again.`,
      );
    }
    this.logger.log({ level: 'audit', message: '', event });
    const failure = this.sink.takeFailure();
    if (failure !== undefined) throw failure;
  }

  /** Every line is written during log(), so there is never anything left to flush. */
  async flush(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.logger.close();
    this.sink.close();
  }
}
