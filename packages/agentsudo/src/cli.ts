#!/usr/bin/env node
/**
 * The `agentsudo` command.
 *
 * @example
 * ```sh
 * npx agentsudo logs logs/agentsudo.jsonl --denied --since 2026-01-31
 * npx agentsudo policy check agentsudo.policy.yaml
 * ```
 */
import { command, endQuietlyOnClosedPipe, runProgram, UsageError } from '@agentsudo/command-line';
import { ConfigurationError } from '@agentsudo/core';
import { AuditLogPathError } from '@agentsudo/transport-file';
import { LOGS_COMMAND, logsArgs, runLogs } from './logs-command';
import { POLICY_CHECK_COMMAND, POLICY_EXPLAIN_COMMAND } from './policy-command';

const logs = command(LOGS_COMMAND, async (parsed) => {
  try {
    await runLogs(logsArgs(parsed), process.stdout, process.stderr);
  } catch (err) {
    // A bad --since or --scope is a mistake on the command line; a log that cannot be read is not.
    if (err instanceof ConfigurationError && !(err instanceof AuditLogPathError))
      throw new UsageError(err.message.replace(/\.$/, ''));
    process.stderr.write(`agentsudo logs: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
});

endQuietlyOnClosedPipe();
runProgram(
  {
    name: 'agentsudo',
    // The version of this package, which an installed `agentsudo` runs.
    version: (require('../package.json') as { version: string }).version,
    summary: 'AgentSudo, the permission layer for AI agents',
    commands: [logs, POLICY_CHECK_COMMAND, POLICY_EXPLAIN_COMMAND],
  },
  process.argv.slice(2),
).then((code) => {
  process.exitCode = code;
});
