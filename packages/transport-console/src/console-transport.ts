import type { SudoAction, SudoEvent, Transport } from '@agentsudo/core';
import { ConfigurationError } from '@agentsudo/core';
import type { Logger } from 'winston';
import { assertLevel, LEVEL_RANK, levelFor, type ConsoleLevel } from './levels';
import { colorWanted, renderJson, renderPretty } from './render';

/** winston's key for the final formatted line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/**
 * How the console transport prints.
 *
 * @example
 * ```ts
 * const options: ConsoleTransportOptions = { level: 'debug', format: 'json' };
 * ```
 */
export interface ConsoleTransportOptions {
  /** Most verbose level printed. Default `'warn'`: denials, audit violations, approvals. */
  level?: ConsoleLevel;
  /** `'pretty'` (default): one readable line; `'json'`: the event's wire form. */
  format?: 'pretty' | 'json';
  /** Where lines go; default stderr, so the program's own stdout stays clean. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force color on or off; default: on for a terminal unless `NO_COLOR` is set. */
  color?: boolean;
}

/**
 * Prints one line per event through winston. Levels follow severity: allowed checks are
 * `debug`, session start/end `info`, audit violations and approvals `warn`, denials
 * `error`. At the default level `'warn'` it does not want allowed checks, so core builds
 * no event for them and the allowed path costs nothing extra.
 *
 * @example
 * ```ts
 * import { configure } from '@agentsudo/core';
 * import { ConsoleTransport } from '@agentsudo/transport-console';
 *
 * configure({ transports: [new ConsoleTransport({ level: 'debug' })] });
 * // stderr: 2026-01-01T00:00:00.000Z agentsudo ✅ allowed SupportBot → read:customers (CustomerService.getCustomer)
 * ```
 */
export class ConsoleTransport implements Transport {
  readonly name = 'console';
  readonly level: ConsoleLevel;
  readonly format: 'pretty' | 'json';
  private readonly stream: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
  /** The color option, or `NO_COLOR` as it was when this transport was configured. */
  private readonly color: boolean | { noColor: string | undefined };
  /** Built on the first line: winston is loaded only by a program that prints something. */
  private logger: Logger | undefined;
  private closed = false;

  constructor(options: ConsoleTransportOptions = {}) {
    const { level = 'warn', format: style = 'pretty', stream, color } = options;
    assertLevel(level);
    if (style !== 'pretty' && style !== 'json') {
      throw new ConfigurationError(
        `ConsoleTransport: format ${JSON.stringify(style)} is not 'pretty' or 'json'.`,
      );
    }
    if (stream !== undefined && typeof stream.write !== 'function') {
      throw new ConfigurationError(
        'ConsoleTransport: stream must be a writable stream such as process.stdout.',
      );
    }
    this.level = level;
    this.format = style;
    this.stream = stream;
    this.color = color ?? { noColor: process.env.NO_COLOR };
  }

  /** Only events at or above the configured level; asked once per transport-set change. */
  wants(action: SudoAction, allowed: boolean): boolean {
    return LEVEL_RANK[levelFor(action, allowed)] <= LEVEL_RANK[this.level];
  }

  log(event: SudoEvent): void {
    if (this.closed) return;
    this.logger ??= this.createLogger();
    this.logger.log({ level: levelFor(event.action, event.allowed), message: '', event });
  }

  /** Console writes are handed to the stream synchronously; nothing is held back. */
  async flush(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.logger?.close();
  }

  private createLogger(): Logger {
    // Loaded here rather than imported: importing `agentsudo` installs this transport, and
    // a CLI or serverless function that never denies anything should not pay for winston
    // on every cold start. require() is synchronous, so the first line still prints at once.
    const { createLogger, format, transports } = require('winston') as typeof import('winston');
    const style = this.format;
    // Whether the stream is a terminal is asked only now: touching process.stderr builds
    // its stream, which importing `agentsudo` need not pay for.
    const color =
      typeof this.color === 'boolean'
        ? this.color
        : colorWanted(this.stream ?? process.stderr, { NO_COLOR: this.color.noColor });
    const line = format((info) => {
      const event = info.event as SudoEvent;
      (info as Record<symbol, unknown>)[MESSAGE] =
        style === 'json' ? renderJson(event, info.level as ConsoleLevel) : renderPretty(event, color);
      return info;
    });
    const levels = Object.keys(LEVEL_RANK);
    const logger = createLogger({
      levels: LEVEL_RANK as Record<string, number>,
      level: this.level,
      format: line(),
      transports: [
        this.stream
          ? new transports.Stream({ stream: this.stream })
          : new transports.Console({ stderrLevels: levels, consoleWarnLevels: [] }),
      ],
    });
    // A console that fails (closed stderr) must not crash the process through an
    // unhandled 'error' event; the dispatcher already reports failing transports.
    logger.on('error', () => undefined);
    return logger;
  }
}
