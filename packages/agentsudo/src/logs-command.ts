import { parseArgs } from 'node:util';
import { describeOutcome, toWire, type SudoEvent } from '@agentsudo/core';
import { readAuditLog, type ReadAuditLogOptions } from '@agentsudo/transport-file';
import { renderTable } from './table';

/**
 * What `agentsudo logs` prints when asked for help or given bad arguments.
 *
 * @example
 * ```ts
 * process.stdout.write(LOGS_USAGE);
 * ```
 */
export const LOGS_USAGE = `Usage: agentsudo logs <file> [options]

Prints the events of a JSON Lines audit log as a table.

Options:
  --agent TEXT      only agents whose name contains TEXT, ignoring case, as the
                    dashboard's search matches ('support' finds SupportBot)
  --agent-exact NAME
                    only the agent named exactly NAME (case-sensitive)
  --scope PATTERN   only scopes matching PATTERN (* is a wildcard: 'write:*')
  --denied          only refusals (denials, audit violations, refused approvals)
  --since ISO       only events at or after this time (2026-01-31 or 2026-01-31T12:00:00Z)
  --until ISO       only events before this time
  --rotated         also read the rotated files (file.1, file.2, …), oldest first
  --json            print the matching events as JSON Lines instead of a table
`;

/**
 * Bad command-line arguments; the CLI prints the message and the usage, exit code 2.
 *
 * @example
 * ```ts
 * try { parseLogsArgs(['--bogus']); } catch (e) { if (e instanceof UsageError) console.error(e.message); }
 * ```
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
 * Parses `<file> [--agent TEXT] [--agent-exact NAME] [--scope PATTERN] [--denied] [--since ISO] …`.
 *
 * @example
 * ```ts
 * parseLogsArgs(['audit.jsonl', '--denied', '--agent', 'SupportBot']);
 * ```
 * @throws UsageError naming the bad argument.
 */
export function parseLogsArgs(argv: readonly string[]): LogsArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        agent: { type: 'string' },
        'agent-exact': { type: 'string' },
        scope: { type: 'string' },
        denied: { type: 'boolean' },
        since: { type: 'string' },
        until: { type: 'string' },
        rotated: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(`agentsudo logs: ${(err as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'agentsudo logs: give the audit log file, e.g. agentsudo logs logs/agentsudo.jsonl'
        : `agentsudo logs: one file expected, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
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
