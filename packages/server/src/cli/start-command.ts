import { existsSync, rmSync } from 'node:fs';
import { command, UsageError } from '@agentsudo/command-line';
import { dashboard } from '../dashboard';
import { InvalidInputError, PortInUseError } from '../errors';
import { DEFAULT_LIVE_LIMITS } from '../http/live-connections';
import { parseTrustProxy } from '../http/trust-proxy';
import { DEFAULT_PORT, createServer } from '../server';
import { LOG_OPTIONS, loggerOptions } from './log-output';
import { intOption, STORAGE_OPTIONS, storageFrom } from './storage-flags';

/**
 * What a closed stdout or stderr does: end at once, or, once serving, shut down as on
 * SIGTERM. The entry point hands it to `endQuietlyOnClosedPipe`.
 *
 * @example
 * ```ts
 * endQuietlyOnClosedPipe(undefined, (code) => closedPipe.handler(code));
 * ```
 */
export const closedPipe = {
  handler: (code: number): void => {
    process.exit(code);
  },
};

/**
 * `agentsudo-server start`: runs the collector API and the dashboard until SIGTERM/SIGINT.
 *
 * @example
 * ```sh
 * agentsudo-server start --port 4319 --db ./agentsudo.db
 * ```
 */
export const startCommand = command(
  {
    name: 'start',
    summary: 'run the collector API and the dashboard',
    details:
      'Runs the collector API (POST /api/events), the read API and the dashboard until\n' +
      'SIGTERM or SIGINT, which finish the requests in flight first. Prints its URL once\n' +
      'listening.',
    options: {
      port: {
        type: 'string',
        value: 'N',
        description: `port to listen on, 0 for a free one (default ${DEFAULT_PORT})`,
      },
      host: {
        type: 'string',
        value: 'H',
        description:
          'address to listen on (default 127.0.0.1; 0.0.0.0 for every\ninterface, with TLS in front)',
      },
      ...STORAGE_OPTIONS,
      'sqlite-sync': {
        type: 'string',
        value: 'normal|full',
        description:
          'SQLite: full makes every acknowledged batch survive a power cut\n(default normal: survives a crash of the process)',
      },
      'retention-days': {
        type: 'string',
        value: 'N',
        description: 'delete events older than N days, hourly (default: keep all)',
      },
      'trust-proxy': {
        type: 'string',
        value: 'HOPS|ADDRESSES',
        description:
          'believe X-Forwarded-For/-Proto/-Host from this many proxies, or\nfrom these addresses/CIDRs (comma-separated); default none',
      },
      'max-live-clients': {
        type: 'string',
        value: 'N',
        description: `most live-feed clients per instance (default ${DEFAULT_LIVE_LIMITS.total})`,
      },
      'max-live-per-project': {
        type: 'string',
        value: 'N',
        description: `most live-feed clients of one project (default ${DEFAULT_LIVE_LIMITS.perProject})`,
      },
      'max-live-per-credential': {
        type: 'string',
        value: 'N',
        description: `most live-feed clients of one token or user (default ${DEFAULT_LIVE_LIMITS.perCredential})`,
      },
      ...LOG_OPTIONS,
    },
  },
  async ({ values }) => {
    const sync = values['sqlite-sync'];
    if (sync !== undefined && sync !== 'normal' && sync !== 'full')
      throw new UsageError(`--sqlite-sync must be normal or full, got '${sync}'`);
    const storage = storageFrom(values);
    if (storage.db !== undefined && sync !== undefined) storage.sqliteSync = sync;
    const options = {
      port: intOption(values, 'port', 0, 65535) ?? DEFAULT_PORT,
      host: values.host ?? '127.0.0.1',
      retentionDays: intOption(values, 'retention-days', 1, 36500),
      trustProxy: trustProxyOption(values['trust-proxy']),
      maxLiveClients: intOption(values, 'max-live-clients', 1, 1_000_000),
      maxLiveClientsPerProject: intOption(values, 'max-live-per-project', 1, 1_000_000),
      maxLiveClientsPerCredential: intOption(values, 'max-live-per-credential', 1, 1_000_000),
    };
    // Through process.stdout, not pino's own file descriptor writer: a closed pipe is then
    // handled like any other output's (see closedPipe).
    const logger = loggerOptions(values, process.stdout);
    // Every option is checked before this point: a start that fails on one creates no file.
    const newFile = storage.db !== undefined && !existsSync(storage.db) ? storage.db : undefined;
    const server = await createServer({
      ...storage,
      ...options,
      logger,
      extend: dashboard(),
    });
    let url: string;
    try {
      url = await server.listen();
    } catch (err) {
      // A start that fails (a port in use) leaves no database file behind that it created.
      await server.close().catch(() => undefined);
      if (newFile) for (const suffix of ['', '-wal', '-shm']) rmSync(newFile + suffix, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new PortInUseError(options.host, options.port);
      throw err;
    }
    process.stdout.write(`agentsudo-server listening on ${url} (${server.storage.dialect})\n`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
      server.close().then(
        () => process.exit(0),
        (err) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Whoever read the logs has gone (`agentsudo-server start | head`): stop as on a signal.
    closedPipe.handler = () => stop('closed output');
    // Returns while serving: the open server keeps the process alive until a signal.
  },
);

/** The --trust-proxy value, checked here so a mistake is a usage error naming the option. */
function trustProxyOption(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    parseTrustProxy(raw, '--trust-proxy');
    return raw;
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message.replace(/\.$/, ''));
    throw err;
  }
}
