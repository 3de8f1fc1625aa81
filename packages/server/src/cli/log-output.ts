import { Writable } from 'node:stream';
import { UsageError, type OptionSpec } from '@agentsudo/command-line';

/**
 * The levels `--log-level` takes, most severe first; `silent` logs nothing.
 *
 * @example
 * ```ts
 * LOG_LEVELS.includes('warn'); // true
 * ```
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The logging options of `agentsudo-server start`.
 *
 * @example
 * ```ts
 * const spec = { name: 'start', summary: '…', options: { ...LOG_OPTIONS } };
 * ```
 */
export const LOG_OPTIONS = {
  'log-format': {
    type: 'string',
    value: 'text|json',
    description:
      'text: one readable line per request (default); json: one JSON\nobject per line (pino), for log collectors',
  },
  'log-level': {
    type: 'string',
    value: 'LEVEL',
    description:
      `${LOG_LEVELS.join('|')} (default info, or LOG_LEVEL):\n` +
      'info logs every request, warn only 4xx/5xx answers and problems',
  },
} as const satisfies Record<string, OptionSpec>;

/**
 * Fastify logger options for the `--log-format` and `--log-level` given (LOG_LEVEL when
 * `--log-level` is not), writing to `out`.
 *
 * @example
 * ```ts
 * createServer({ logger: loggerOptions({ 'log-format': 'json' }, process.stdout) });
 * ```
 * @throws UsageError naming a format or level that is not one of those listed.
 */
export function loggerOptions(
  values: { 'log-format'?: string; 'log-level'?: string },
  out: NodeJS.WritableStream,
): { level: string; stream: NodeJS.WritableStream } {
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`--log-format must be text or json, got '${format}'`);
  const [level, from] =
    values['log-level'] !== undefined
      ? [values['log-level'], '--log-level']
      : [process.env.LOG_LEVEL || 'info', 'LOG_LEVEL'];
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(`${from} must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  return { level, stream: format === 'json' ? out : textLogStream(out) };
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every pino line has, or that the text line shows in its own place. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'err']);

/**
 * A stream for pino's JSON lines that writes each as one line a person reads:
 * `2026-01-31T12:00:00.123Z INFO  POST /api/events 200 3.2ms 127.0.0.1` for a request,
 * `… WARN  live feeds: credentials could not be re-checked: connect ECONNREFUSED` otherwise.
 *
 * @example
 * ```ts
 * Fastify({ logger: { level: 'info', stream: textLogStream(process.stdout) } });
 * ```
 */
export function textLogStream(out: NodeJS.WritableStream): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      const text = lines.map(textLine).filter((l) => l !== undefined);
      if (text.length) out.write(text.join('\n') + '\n');
      done();
    },
  });
}

function textLine(json: string): string | undefined {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(json);
  } catch {
    return json || undefined;
  }
  // The command prints its own startup line with the URL.
  if (typeof r.msg === 'string' && r.msg.startsWith('Server listening at ')) return undefined;
  const time = typeof r.time === 'number' ? new Date(r.time).toISOString() : '';
  const level = (LEVEL_NAMES[r.level as number] ?? String(r.level)).padEnd(5);
  if (r.msg === 'request completed' && typeof r.method === 'string')
    return `${time} ${level} ${r.method} ${String(r.url)} ${String(r.statusCode)} ${String(r.responseTime)}ms ${String(r.ip)}`;
  const err = r.err as { message?: string } | undefined;
  const fields = Object.entries(r)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [`${time} ${level} ${String(r.msg ?? '')}${err?.message ? `: ${err.message}` : ''}`, ...fields].join(
    ' ',
  );
}
