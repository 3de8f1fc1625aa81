import TransportStream from 'winston-transport';
import { LineAppender, type LineAppenderOptions } from './line-appender';

/**
 * winston's key for the final formatted line (triple-beam's `MESSAGE`); a format sets it
 * and this transport writes it.
 *
 * @example
 * ```ts
 * format((info) => { info[MESSAGE] = JSON.stringify(info.event); return info; });
 * ```
 */
export const MESSAGE = Symbol.for('message');

/**
 * Options of {@link SyncAppendTransport}: winston's transport options plus where to write.
 *
 * @example
 * ```ts
 * const options: SyncAppendTransportOptions = { filename: 'app.jsonl', maxSize: 1_000_000 };
 * ```
 */
export interface SyncAppendTransportOptions
  extends TransportStream.TransportStreamOptions, LineAppenderOptions {
  filename: string;
}

/**
 * A winston transport that appends each formatted line synchronously (see
 * {@link LineAppender}), unlike winston's own File transport, whose buffered stream
 * drops the last lines when the process exits right after logging. Usable on any winston
 * logger; {@link FileTransport} uses it for the audit log.
 *
 * @example
 * ```ts
 * import { createLogger, format } from 'winston';
 * import { SyncAppendTransport } from '@agentsudo/transport-file/winston';
 * const logger = createLogger({ format: format.json(), transports: [new SyncAppendTransport({ filename: 'app.jsonl' })] });
 * logger.info('started');
 * process.exit(0); // the line is already in app.jsonl
 * ```
 */
export class SyncAppendTransport extends TransportStream {
  readonly appender: LineAppender;
  private failure: unknown;

  /** @throws AuditLogPathError naming the file when it cannot be created or written. */
  constructor(options: SyncAppendTransportOptions) {
    super(options);
    this.appender = new LineAppender(options.filename, options);
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    try {
      const line = info[MESSAGE];
      this.appender.append(typeof line === 'string' ? line : JSON.stringify(info));
    } catch (err) {
      // Never throw inside winston's stream pipeline (it would wedge the logger and
      // buffer later lines); keep the error for the caller to pick up instead.
      this.failure = err;
    }
    // Calling back synchronously keeps winston's pipeline synchronous: the next line is
    // written on its own log() call, never queued behind this one.
    next();
  }

  /** Returns and clears the error of the last failed write, if any. */
  takeFailure(): unknown {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }

  override close(): void {
    this.appender.close();
  }
}
