/**
 * `@agentsudo/command-line`: what AgentSudo's two commands, `agentsudo` (the audit log
 * reader) and `agentsudo-server` (the dashboard server and its administration), share so
 * that they behave alike: `--help` on every command with its options explained, `--version`,
 * one line naming an unknown option or a bad value (exit code 2), and a quiet end when the
 * reader of their output stops early. No dependencies beyond Node: it is neither part of the engine
 * (`@agentsudo/core` does no I/O and is loaded by every agent) nor of either command's
 * package (the server must not load the SDK's transports, nor the SDK the server's
 * database drivers).
 *
 * @example
 * ```ts
 * import { command, endQuietlyOnClosedPipe, runProgram } from '@agentsudo/command-line';
 * const hello = command({ name: 'hello', summary: 'says hello', options: {} }, async () => {
 *   process.stdout.write('hello\n');
 * });
 * endQuietlyOnClosedPipe(); // `… | head -1` ends the command quietly
 * runProgram({ name: 'demo', version: '1.0.0', summary: 'a demo', commands: [hello] }, process.argv.slice(2))
 *   .then((code) => (process.exitCode = code));
 * ```
 *
 * @packageDocumentation
 */
export { endQuietlyOnClosedPipe } from './closed-pipe';
export {
  formatHelp,
  parseCommand,
  type ArgumentSpec,
  type CommandSpec,
  type OptionSpec,
  type OptionValues,
  type ParsedCommand,
} from './command';
export { printable } from './printable';
export { command, runProgram, type Command, type Program } from './program';
export { UsageError } from './usage-error';
