#!/usr/bin/env node
/**
 * The `agentsudo` command.
 *
 * @example
 * ```sh
 * npx agentsudo logs logs/agentsudo.jsonl --denied --since 2026-01-31
 * ```
 */
import { ConfigurationError, SDK_VERSION } from '@agentsudo/core';
import { AuditLogPathError } from '@agentsudo/transport-file';
import { endQuietlyOnClosedPipe } from '@agentsudo/command-line';
import { LOGS_USAGE, parseLogsArgs, runLogs, UsageError } from './logs-command';

const USAGE = `Usage: agentsudo <command>

Commands:
  logs <file> [options]   print a JSON Lines audit log as a table (agentsudo logs --help)

Options:
  --help, --version
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${SDK_VERSION}\n`);
    return 0;
  }
  if (command !== 'logs') {
    process.stderr.write(`agentsudo: unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(LOGS_USAGE);
    return 0;
  }
  try {
    await runLogs(parseLogsArgs(rest), process.stdout, process.stderr);
    return 0;
  } catch (err) {
    const badArguments =
      err instanceof UsageError || (err instanceof ConfigurationError && !(err instanceof AuditLogPathError));
    if (badArguments) {
      process.stderr.write(`${err.message}\n\n${LOGS_USAGE}`);
      return 2;
    }
    process.stderr.write(`agentsudo logs: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

endQuietlyOnClosedPipe();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
