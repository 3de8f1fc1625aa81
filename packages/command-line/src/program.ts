import {
  columns,
  formatHelp,
  parseCommand,
  type CommandSpec,
  type OptionSpec,
  type ParsedCommand,
  usageOf,
} from './command';
import { UsageError } from './usage-error';

/**
 * A command and what runs it. `run` resolves to the exit code (0 when it returns nothing);
 * a {@link UsageError} it throws is printed as one line with exit code 2, any other error
 * is left to the program's caller.
 *
 * @example
 * ```ts
 * const list = command({ name: 'project list', summary: 'list projects', options: {} }, async () => {
 *   for (const p of await admin.listProjects()) console.log(p.name);
 * });
 * ```
 */
export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  spec: CommandSpec<O>;
  run(parsed: ParsedCommand<O>): Promise<number | void>;
}

/**
 * Pairs a spec with its run function, keeping the option types for `run`.
 *
 * @example
 * ```ts
 * command({ name: 'start', summary: 'run the server', options: { port: { type: 'string', description: 'port' } } },
 *   async ({ values }) => listen(values.port));
 * ```
 */
export function command<const O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  run: (parsed: ParsedCommand<O>) => Promise<number | void>,
): Command {
  // A program holds commands of any options; runProgram hands each run only what parseCommand
  // made from that command's own spec, so the narrower parameter type holds.
  return { spec, run } as unknown as Command;
}

/**
 * A command-line program: its name and version, and its commands.
 *
 * @example
 * ```ts
 * const program: Program = { name: 'agentsudo', version: '0.1.0', summary: 'reads audit logs', commands: [logs] };
 * ```
 */
export interface Program {
  name: string;
  version: string;
  /** One line under the name in the program's help. */
  summary: string;
  commands: readonly Command[];
  /** Paragraphs at the end of the program's help (defaults, environment). */
  footer?: string;
}

/**
 * Runs a program's command line the way both AgentSudo commands behave: `--help` (or `-h`,
 * or `help [command]`) on the program, a group of commands (`user --help`) or a command;
 * `--version` (`-v`); one line naming an unknown command or option, or a bad value, and
 * pointing to the help, with exit code 2. Resolves to the exit code.
 *
 * @example
 * ```ts
 * runProgram(program, process.argv.slice(2)).then((code) => (process.exitCode = code));
 * ```
 */
export async function runProgram(
  program: Program,
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    out.write(programHelp(program));
    return 2;
  }
  if (first === '--version' || first === '-v') {
    out.write(`${program.version}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const about = first === 'help' ? rest.filter((a) => !a.startsWith('-')) : [];
    if (about.length === 0) {
      out.write(programHelp(program));
      return 0;
    }
    return runProgram(program, [...about, '--help'], out, err);
  }
  const found = findCommand(program, argv);
  const fail = (where: string, problem: string): number => {
    err.write(`${where}: ${problem}; see '${where} --help'\n`);
    return 2;
  };
  if (!found) {
    const group = program.commands.filter((c) => c.spec.name.startsWith(`${first} `));
    if (group.length === 0) {
      return first.startsWith('-')
        ? fail(program.name, `unknown option '${first}'`)
        : fail(program.name, `unknown command '${first}'`);
    }
    const second = rest[0];
    if (second === undefined || second === '--help' || second === '-h') {
      out.write(groupHelp(program, first, group));
      return second === undefined ? 2 : 0;
    }
    return fail(`${program.name} ${first}`, `unknown command '${first} ${second}'`);
  }
  const where = `${program.name} ${found.command.spec.name}`;
  try {
    const parsed = parseCommand(found.command.spec, found.rest);
    if (parsed === 'help') {
      out.write(formatHelp(program.name, found.command.spec));
      return 0;
    }
    return (await found.command.run(parsed)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) return fail(where, e.problem);
    throw e;
  }
}

/** The command whose words begin the line (the longest such), and the words after them. */
function findCommand(
  program: Program,
  argv: readonly string[],
): { command: Command; rest: readonly string[] } | undefined {
  let best: { command: Command; rest: readonly string[] } | undefined;
  for (const command of program.commands) {
    const words = command.spec.name.split(' ');
    if (
      words.every((w, i) => argv[i] === w) &&
      (!best || words.length > best.command.spec.name.split(' ').length)
    )
      best = { command, rest: argv.slice(words.length) };
  }
  return best;
}

function programHelp(program: Program): string {
  const lines = [
    `${program.name} ${program.version}: ${program.summary}`,
    '',
    `Usage: ${program.name} <command> [options]`,
    '',
    'Commands:',
    ...columns(program.commands.map((c) => [usageOf(c.spec), c.spec.summary])),
    '',
    `Run '${program.name} <command> --help' for a command's options.`,
    `${program.name} --version prints the version.`,
    '',
  ];
  if (program.footer) lines.push(program.footer, '');
  return lines.join('\n');
}

function groupHelp(program: Program, group: string, commands: readonly Command[]): string {
  return [
    `Usage: ${program.name} ${group} <command> [options]`,
    '',
    'Commands:',
    ...columns(commands.map((c) => [usageOf(c.spec), c.spec.summary])),
    '',
    `Run '${program.name} ${group} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}
