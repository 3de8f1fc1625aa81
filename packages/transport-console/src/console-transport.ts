import type { SudoAction, SudoEvent, Transport } from '@agentsudo/core';
import { ConfigurationError } from '@agentsudo/core';
import { createLogger, format, transports, type Logger } from 'winston';
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
  private readonly logger: Logger;

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
    const useColor = color ?? colorWanted(stream ?? process.stderr, process.env);
    const line = format((info) => {
      const event = info.event as SudoEvent;
      (info as Record<symbol, unknown>)[MESSAGE] =
        style === 'json' ? renderJson(event, info.level as ConsoleLevel) : renderPretty(event, useColor);
      return info;
    });
    const levels = Object.keys(LEVEL_RANK);
    this.logger = createLogger({
      levels: LEVEL_RANK as Record<string, number>,
      level,
      format: line(),
      transports: [
        stream
          ? new transports.Stream({ stream })
          : new transports.Console({ stderrLevels: levels, consoleWarnLevels: [] }),
      ],
    });
    // A console that fails (closed stderr) must not crash the process through an
    // unhandled 'error' event; the dispatcher already reports failing transports.
    this.logger.on('error', () => undefined);
  }

  /** Only events at or above the configured level; asked once per transport-set change. */
  wants(action: SudoAction, allowed: boolean): boolean {
    return LEVEL_RANK[levelFor(action, allowed)] <= LEVEL_RANK[this.level];
  }

  log(event: SudoEvent): void {
    this.logger.log({ level: levelFor(event.action, event.allowed), message: '', event });
  }

  /** Console writes are handed to the stream synchronously; nothing is held back. */
  async flush(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.logger.close();
  }
}
