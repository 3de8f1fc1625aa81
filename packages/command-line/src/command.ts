import { parseArgs } from 'node:util';
import { UsageError } from './usage-error';

/**
 * One option of a command, as it is parsed and as `--help` explains it.
 *
 * @example
 * ```ts
 * const port: OptionSpec = { type: 'string', value: 'N', description: 'port to listen on (default 4319)' };
 * ```
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** What the value is, as help shows it (`N`, `FILE`, `URL`); string options only. */
  value?: string;
  /** A one-letter alias (`-j`). */
  short?: string;
  /** What the option does; a `\n` starts a continuation line in help. */
  description: string;
}

/**
 * One positional argument of a command.
 *
 * @example
 * ```ts
 * const email: ArgumentSpec = { name: 'email', description: "the login's email address" };
 * ```
 */
export interface ArgumentSpec {
  name: string;
  description: string;
  optional?: boolean;
}

/**
 * A command of a program: its words (`user create`), arguments and options. Help is made
 * from it, so what `--help` says and what is parsed cannot drift apart.
 *
 * @example
 * ```ts
 * const list: CommandSpec = { name: 'user list', summary: 'list dashboard logins', options: {} };
 * ```
 */
export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** The words after the program's name, space-separated. */
  name: string;
  /** One line for the program's list of commands. */
  summary: string;
  /** Paragraphs shown by the command's `--help` under its usage line. */
  details?: string;
  arguments?: readonly ArgumentSpec[];
  options: O;
}

/**
 * The options a command was given: strings for string options, `true` for flags.
 *
 * @example
 * ```ts
 * const values: OptionValues<{ port: { type: 'string'; description: '' } }> = { port: '80' };
 * ```
 */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? true : string;
};

/**
 * A command line parsed against its {@link CommandSpec}.
 *
 * @example
 * ```ts
 * const { values, positionals } = parseCommand(spec, ['ops@example.com', '--db', 'a.db']) as ParsedCommand;
 * ```
 */
export interface ParsedCommand<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  values: OptionValues<O>;
  /** The arguments, as many as the spec names (optional ones may be missing). */
  positionals: string[];
}

/** `-h` and `--help`, which every command answers. */
const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/**
 * Parses a command's arguments (after its words) with `node:util`'s `parseArgs`, checking
 * them here so that every mistake is one {@link UsageError} naming the option or value, in
 * the same words on every Node version. Returns `'help'` when `-h`/`--help` is among them,
 * whatever else is.
 *
 * @example
 * ```ts
 * const parsed = parseCommand(spec, process.argv.slice(3));
 * if (parsed === 'help') process.stdout.write(formatHelp('agentsudo-server', spec));
 * ```
 * @throws UsageError for an unknown option, a missing value, or a wrong number of arguments.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: readonly string[],
): ParsedCommand<O> | 'help' {
  const options: Record<string, OptionSpec> = { ...spec.options, help: HELP };
  const { tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      Object.entries(options).map(([name, o]) => [
        name,
        o.short ? { type: o.type, short: o.short } : { type: o.type },
      ]),
    ),
    // Not strict: parseArgs's own messages differ across Node versions and suggest '--'
    // for what is nearly always a typo; each case is checked and worded below.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
    if (!option) throw new UsageError(`unknown option '${token.rawName}'`);
    if (option.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
      values[token.name] = true;
    } else if (
      token.value === undefined ||
      // `--port --db x`: the next option was taken for the value, which nearly always means
      // the value was forgotten. A negative number is a value (`--port -1` is then refused
      // by the option's own check, naming it); anything else starting with '-' can be
      // given as --name=-value.
      (!token.inlineValue && /^-[^\d]/.test(token.value))
    ) {
      throw new UsageError(`${token.rawName} needs a value (${token.rawName} ${option.value ?? 'VALUE'})`);
    } else values[token.name] = token.value;
  }
  const args = spec.arguments ?? [];
  const missing = args.find((a, i) => !a.optional && positionals[i] === undefined);
  if (missing) throw new UsageError(`missing <${missing.name}>: ${missing.description}`);
  if (positionals.length > args.length)
    throw new UsageError(`unexpected argument '${positionals[args.length]}'`);
  return { values: values as OptionValues<O>, positionals };
}

/**
 * A command's `--help`: its usage line, details, arguments and every option explained.
 *
 * @example
 * ```ts
 * process.stdout.write(formatHelp('agentsudo', logsSpec));
 * ```
 */
export function formatHelp(program: string, spec: CommandSpec): string {
  const lines = [`Usage: ${program} ${usageOf(spec)} [options]`, ''];
  lines.push(spec.details ?? `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`, '');
  if (spec.arguments?.length) {
    lines.push('Arguments:', ...columns(spec.arguments.map((a) => [`<${a.name}>`, a.description])), '');
  }
  const options = Object.entries({ ...spec.options, help: HELP }).map(([name, o]): [string, string] => [
    `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`,
    o.description,
  ]);
  lines.push('Options:', ...columns(options), '');
  return lines.join('\n');
}

/**
 * A command's words and arguments as usage lines show them: `user create <email>`.
 *
 * @example
 * ```ts
 * usageOf({ name: 'logs', summary: '', arguments: [{ name: 'file', description: '' }], options: {} }); // 'logs <file>'
 * ```
 */
export function usageOf(spec: CommandSpec): string {
  const args = (spec.arguments ?? []).map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`));
  return [spec.name, ...args].join(' ');
}

/** The widest left column before a description moves to its own line. */
const LEFT_WIDTH = 26;

/**
 * Two columns, a term and its description, as help pages lay them out.
 *
 * @example
 * ```ts
 * columns([['--json', 'print JSON Lines']]); // ['  --json  print JSON Lines']
 * ```
 */
export function columns(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.min(LEFT_WIDTH, Math.max(0, ...rows.map(([left]) => left.length)));
  const indent = ' '.repeat(width + 4);
  const out: string[] = [];
  for (const [left, description] of rows) {
    const [first, ...rest] = description.split('\n');
    if (left.length > width) out.push(`  ${left}`, indent + first);
    else out.push(`  ${left.padEnd(width)}  ${first}`);
    for (const line of rest) out.push(indent + line);
  }
  return out;
}
