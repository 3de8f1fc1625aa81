import type { CommandSpec, ParsedCommand } from '@agentsudo/command-line';
import { describeOutcome, toWire, type SudoEvent } from '@agentsudo/core';
import { readAuditLog, type ReadAuditLogOptions } from '@agentsudo/transport-file';
import { renderTable } from './table';

/**
 * `agentsudo logs`: its arguments and options, as they are parsed and as `--help` explains
 * them.
 *
 * @example
 * ```ts
 * process.stdout.write(formatHelp('agentsudo', LOGS_COMMAND));
 * ```
 */
export const LOGS_COMMAND = {
  name: 'logs',
  summary: 'print a JSON Lines audit log as a table',
  details: 'Prints the events of a JSON Lines audit log (configureFileLog) as a table.',
  arguments: [{ name: 'file', description: 'the audit log, e.g. logs/agentsudo.jsonl' }],
  options: {
    agent: {
      type: 'string',
      value: 'TEXT',
      description:
        "only agents whose name contains TEXT, ignoring case, as the\ndashboard's search matches ('support' finds SupportBot)",
    },
    'agent-exact': {
      type: 'string',
      value: 'NAME',
      description: 'only the agent named exactly NAME (case-sensitive)',
    },
    scope: {
      type: 'string',
      value: 'PATTERN',
      description: "only scopes matching PATTERN (* is a wildcard: 'write:*')",
    },
    denied: { type: 'boolean', description: 'only refusals (denials, audit violations, refused approvals)' },
    since: {
      type: 'string',
      value: 'ISO',
      description:
        'only events at or after this time (2026-01-31 or\n2026-01-31T12:00:00Z; a time without a zone is UTC)',
    },
    until: { type: 'string', value: 'ISO', description: 'only events before this time' },
    rotated: {
      type: 'boolean',
      description: 'also read the rotated files (file.1, file.2, …), oldest first',
    },
    json: { type: 'boolean', description: 'print the matching events as JSON Lines instead of a table' },
  },
} as const satisfies CommandSpec;

/**
 * The parsed `agentsudo logs` arguments.
 *
 * @example
 * ```ts
 * const args: LogsArgs = { file: 'audit.jsonl', options: { denied: true }, json: false };
 * ```
 */
export interface LogsArgs {
  file: string;
  options: ReadAuditLogOptions;
  /** `--agent`: agent names containing this, compared in lower case. */
  agentContains?: string;
  json: boolean;
}

/**
 * Turns the parsed command line into what {@link runLogs} reads.
 *
 * @example
 * ```ts
 * logsArgs({ values: { denied: true, agent: 'Support' }, positionals: ['audit.jsonl'] });
 * ```
 */
export function logsArgs({ values, positionals }: ParsedCommand<(typeof LOGS_COMMAND)['options']>): LogsArgs {
  const options: ReadAuditLogOptions = {};
  if (values['agent-exact'] !== undefined) options.agent = values['agent-exact'];
  if (values.scope !== undefined) options.scope = values.scope;
  if (values.denied) options.denied = true;
  if (values.since !== undefined) options.since = values.since;
  if (values.until !== undefined) options.until = values.until;
  if (values.rotated) options.includeRotated = true;
  const args: LogsArgs = { file: positionals[0], options, json: values.json === true };
  if (values.agent !== undefined) args.agentContains = values.agent.toLowerCase();
  return args;
}

/**
 * Reads the log and writes the table (or JSON Lines) to `out`; a line that is not an
 * event is reported on `err` and skipped, so one bad line does not hide the rest.
 *
 * @example
 * ```ts
 * await runLogs(parseLogsArgs(['audit.jsonl', '--denied']), process.stdout, process.stderr);
 * ```
 */
export async function runLogs(
  args: LogsArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<void> {
  const { agentContains } = args;
  const events = (
    await readAuditLog(args.file, {
      ...args.options,
      onInvalidLine: (bad) => err.write(`agentsudo logs: skipped ${bad.file}:${bad.line}: ${bad.reason}\n`),
    })
  ).filter((e) => agentContains === undefined || e.agentName.toLowerCase().includes(agentContains));
  if (args.json) {
    for (const e of events) out.write(JSON.stringify(toWire(e)) + '\n');
    return;
  }
  if (events.length === 0) {
    out.write('No events match.\n');
    return;
  }
  out.write(renderTable(['TIME', 'AGENT', 'OUTCOME', 'SCOPE', 'FUNCTION'], events.map(row)));
  const refused = events.filter((e) => !e.allowed).length;
  out.write(`\n${events.length} event${events.length === 1 ? '' : 's'}, ${refused} refused\n`);
}

function row(e: SudoEvent): string[] {
  // The table uses the outcome's word without its symbol: emoji widths vary by terminal.
  const outcome = describeOutcome(e).replace(/^\S+\s/, '');
  return [e.timestamp, e.agentName, outcome, e.scope ?? '-', e.functionName ?? '-'];
}
