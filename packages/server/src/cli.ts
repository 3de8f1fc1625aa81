#!/usr/bin/env node
/**
 * The `agentsudo-server` command: the server (`start`) and its administration.
 *
 * @example
 * ```sh
 * agentsudo-server start --db ./agentsudo.db
 * agentsudo-server project create checkout
 * ```
 */
import { endQuietlyOnClosedPipe, runProgram } from '@agentsudo/command-line';
import { projectCommands } from './cli/admin-commands';
import { closedPipe, startCommand } from './cli/start-command';
import { userCommands } from './cli/user-commands';
import { DEFAULT_PORT } from './server';
import { DEFAULT_DB_FILE } from './storage/open';

endQuietlyOnClosedPipe(undefined, (code) => closedPipe.handler(code));
runProgram(
  {
    name: 'agentsudo-server',
    // The version of this package, which an installed `agentsudo-server` runs.
    version: (require('../package.json') as { version: string }).version,
    summary: 'the AgentSudo collector and dashboard server',
    commands: [startCommand, ...projectCommands, ...userCommands],
    footer:
      `Storage: the SQLite file ${DEFAULT_DB_FILE} unless --db, or PostgreSQL when --database-url\n` +
      `or DATABASE_URL is set; every command takes the same options. The server listens on\n` +
      `127.0.0.1:${DEFAULT_PORT} unless --host/--port.`,
  },
  process.argv.slice(2),
).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`agentsudo-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
