import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CloudConfigError } from './errors';

/**
 * The local dashboard's default address (`@agentsudo/server` listens here unless told
 * otherwise). Used when neither `endpoint` nor `AGENTSUDO_ENDPOINT` is given.
 *
 * @example
 * ```ts
 * DEFAULT_ENDPOINT; // 'http://127.0.0.1:4319'
 * ```
 */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4319';

/**
 * How cloud mode delivers events. Every field is optional except an API key, which may
 * also come from `AGENTSUDO_API_KEY`.
 *
 * @example
 * ```ts
 * const options: CloudOptions = { apiKey: 'as_live_…', batchSize: 200, spoolDir: '/var/lib/myapp/agentsudo' };
 * ```
 */
export interface CloudOptions {
  /** Sent as `X-API-Key`. Default: `AGENTSUDO_API_KEY`. */
  apiKey?: string;
  /** Dashboard base URL. Default: `AGENTSUDO_ENDPOINT`, then {@link DEFAULT_ENDPOINT}. */
  endpoint?: string;
  /** true (default): batch in the background. false: send each event at once. */
  asyncSend?: boolean;
  /** Events per request (1 to 1000, the dashboard's limit); a batch goes as soon as this many are queued. Default 500. */
  batchSize?: number;
  /** A partial batch waits at most this long. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Events held in memory; beyond it they go to the spool. Default 10,000. */
  maxQueue?: number;
  /**
   * Folder for the offline spool (JSON Lines). It must be private to this user (owned by
   * it, not writable by group or others); otherwise it is not used, delivery goes on
   * without it and stderr says why once. Default: one folder per endpoint and key under
   * {@link defaultSpoolRoot} (`$XDG_STATE_HOME/agentsudo`, `~/.agentsudo` or
   * `<os temp dir>/agentsudo-<uid>`), `spool/<id>`. `false` keeps nothing on disk (events
   * beyond `maxQueue` or unsent at exit are dropped and counted).
   */
  spoolDir?: string | false;
  /** Bytes the spool may hold; beyond it events are dropped and counted. Default 64 MiB. */
  maxSpoolBytes?: number;
  /** Bodies larger than this are gzipped. Default 16 KiB. */
  gzipThresholdBytes?: number;
  /** One request may take this long before it is retried. Default 10,000 ms. */
  requestTimeoutMs?: number;
  /** Longest wait between retries (Retry-After may ask for up to 5 minutes). Default 30,000 ms. */
  maxBackoffMs?: number;
  /** How long the exit hook (`beforeExit`) tries to deliver before spooling. Default 2000 ms. */
  exitTimeoutMs?: number;
  /**
   * A batch the server keeps failing on (5xx, at least 5 times, for at least this long; a 503
   * with Retry-After is back-pressure and never counts) is split, and a lone event is set
   * aside in the spool so the events behind it can go; it is
   * retried every `setAsideAfterMs`, and dropped (`server_error`) after 5 more 5xx answers
   * each of which came while the server accepted other events. Default 60,000 ms.
   */
  setAsideAfterMs?: number;
}

/**
 * Options after defaults and environment variables are applied. `apiKey` is the real
 * key; {@link redactKey} shows it safely.
 *
 * @example
 * ```ts
 * const resolved = resolveCloudOptions({ apiKey: 'as_test' });
 * resolved.endpoint; // 'http://127.0.0.1:4319'
 * ```
 */
export interface ResolvedCloudOptions {
  readonly apiKey: string;
  readonly endpoint: string;
  readonly asyncSend: boolean;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueue: number;
  readonly spoolDir: string | false;
  /**
   * For the default spool, the per-user folder it lives under ({@link defaultSpoolRoot}):
   * every folder from there down must be private. Undefined when `spoolDir` was given or false.
   */
  readonly spoolRoot: string | undefined;
  readonly maxSpoolBytes: number;
  readonly gzipThresholdBytes: number;
  readonly requestTimeoutMs: number;
  readonly maxBackoffMs: number;
  readonly exitTimeoutMs: number;
  readonly setAsideAfterMs: number;
}

/** Bounds per numeric option: [min, max, default]. */
const NUMBERS = {
  // The dashboard takes at most 1000 events per request.
  batchSize: [1, 1000, 500],
  flushIntervalMs: [1, 3_600_000, 1000],
  maxQueue: [1, 10_000_000, 10_000],
  maxSpoolBytes: [0, Number.MAX_SAFE_INTEGER, 64 * 1024 * 1024],
  gzipThresholdBytes: [0, Number.MAX_SAFE_INTEGER, 16 * 1024],
  requestTimeoutMs: [1, 600_000, 10_000],
  maxBackoffMs: [1, 3_600_000, 30_000],
  exitTimeoutMs: [0, 600_000, 2000],
  setAsideAfterMs: [1, 86_400_000, 60_000],
} as const satisfies Record<string, readonly [number, number, number]>;

/**
 * Applies defaults and the `AGENTSUDO_API_KEY` / `AGENTSUDO_ENDPOINT` fallbacks and
 * checks every value.
 *
 * @example
 * ```ts
 * process.env.AGENTSUDO_API_KEY = 'as_test';
 * resolveCloudOptions({}).apiKey; // 'as_test'
 * ```
 * @throws CloudConfigError naming the first bad option and how to fix it.
 */
export function resolveCloudOptions(
  options: CloudOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCloudOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CloudConfigError(
      '(options)',
      options,
      `configureCloud(options): pass an object such as { apiKey: 'as_…' }, got ${describe(options)}.`,
    );
  }
  const apiKey = options.apiKey ?? nonEmpty(env.AGENTSUDO_API_KEY);
  if (apiKey === undefined) {
    throw new CloudConfigError(
      'apiKey',
      undefined,
      'Cloud mode needs an API key: pass configureCloud({ apiKey: "as_…" }) or set the AGENTSUDO_API_KEY environment variable.',
    );
  }
  if (typeof apiKey !== 'string' || apiKey.trim() === '' || /[\r\n]/.test(apiKey)) {
    throw new CloudConfigError(
      'apiKey',
      typeof apiKey === 'string' ? redactKey(apiKey) : typeof apiKey,
      'configureCloud: apiKey must be a non-empty string on one line (it is sent as the X-API-Key header); ' +
        'pass configureCloud({ apiKey: "as_…" }) or set AGENTSUDO_API_KEY.',
    );
  }
  const endpoint = normalizeEndpoint(
    options.endpoint ?? nonEmpty(env.AGENTSUDO_ENDPOINT) ?? DEFAULT_ENDPOINT,
  );
  const asyncSend = options.asyncSend ?? true;
  if (typeof asyncSend !== 'boolean') {
    throw new CloudConfigError(
      'asyncSend',
      asyncSend,
      `configureCloud: asyncSend must be true or false, got ${describe(asyncSend)}.`,
    );
  }
  const numbers = {} as Record<keyof typeof NUMBERS, number>;
  for (const key of Object.keys(NUMBERS) as (keyof typeof NUMBERS)[]) {
    numbers[key] = checkNumber(key, options[key]);
  }
  return Object.freeze({
    apiKey: apiKey.trim(),
    endpoint,
    asyncSend,
    ...numbers,
    ...resolveSpoolDir(options.spoolDir, endpoint, apiKey.trim(), env),
  });
}

/**
 * Shows an API key without giving it away: its prefix and last four characters.
 *
 * @example
 * ```ts
 * redactKey('as_live_0123456789abcdef'); // 'as_…cdef'
 * ```
 */
export function redactKey(key: string): string {
  if (key.length <= 8) return '…';
  const prefix = /^[a-z]+_/i.exec(key)?.[0] ?? '';
  return `${prefix}…${key.slice(-4)}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function normalizeEndpoint(value: unknown): string {
  const bad = (why: string) =>
    new CloudConfigError(
      'endpoint',
      value,
      `configureCloud: endpoint ${describe(value)} ${why}; give the dashboard's base URL such as ${DEFAULT_ENDPOINT} ` +
        '(option endpoint or AGENTSUDO_ENDPOINT).',
    );
  if (typeof value !== 'string') throw bad('is not a string');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('must start with http:// or https://');
  if (url.search || url.hash) throw bad('must not carry a query or fragment');
  return url.toString().replace(/\/+$/, '');
}

function checkNumber(key: keyof typeof NUMBERS, value: unknown): number {
  const [min, max, fallback] = NUMBERS[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CloudConfigError(
      key,
      value,
      `configureCloud: ${key} must be a whole number from ${min} to ${max}, got ${describe(value)} (default ${fallback}).`,
    );
  }
  return value;
}

/**
 * The per-user folder that holds the default spool: `$XDG_STATE_HOME/agentsudo` when that
 * is set, else `~/.agentsudo` when the home folder is writable, else
 * `<os temp dir>/agentsudo-<uid>` (serverless platforms often have a read-only home). The
 * folder and everything under it must belong to this user, so another account cannot
 * pre-create it to read, drop or forge the events.
 *
 * @example
 * ```ts
 * defaultSpoolRoot({ XDG_STATE_HOME: '/home/me/.local/state' }); // '/home/me/.local/state/agentsudo'
 * ```
 */
export function defaultSpoolRoot(env: NodeJS.ProcessEnv = process.env): string {
  const state = nonEmpty(env.XDG_STATE_HOME);
  if (state !== undefined && isAbsolute(state)) return join(state, 'agentsudo');
  const home = nonEmpty(env.HOME) ?? safeHomedir();
  if (home !== undefined && isWritableDir(home)) return join(home, '.agentsudo');
  const user = process.getuid?.() ?? userInfo().username;
  // TMPDIR read from `env` like the rest (os.tmpdir() reads it first too).
  return join(nonEmpty(env.TMPDIR) ?? tmpdir(), `agentsudo-${user}`);
}

function safeHomedir(): string | undefined {
  try {
    return nonEmpty(homedir());
  } catch {
    return undefined;
  }
}

function isWritableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function resolveSpoolDir(
  value: unknown,
  endpoint: string,
  apiKey: string,
  env: NodeJS.ProcessEnv,
): { spoolDir: string | false; spoolRoot: string | undefined } {
  if (value === false) return { spoolDir: false, spoolRoot: undefined };
  if (value === undefined) {
    // One folder per endpoint and key, so a spool is never replayed to the wrong project.
    const id = createHash('sha256').update(`${endpoint}\n${apiKey}`).digest('hex').slice(0, 16);
    const spoolRoot = defaultSpoolRoot(env);
    return { spoolDir: join(spoolRoot, 'spool', id), spoolRoot };
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CloudConfigError(
      'spoolDir',
      value,
      `configureCloud: spoolDir must be a folder path or false (no disk spool), got ${describe(value)}.`,
    );
  }
  return { spoolDir: value, spoolRoot: undefined };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}
