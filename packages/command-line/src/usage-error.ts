/**
 * A command line that cannot be run as given: an unknown option, a missing or bad value.
 * The command prints one line, its name, the problem and where to find its options
 * (`agentsudo-server start: unknown option '--prot'; see 'agentsudo-server start --help'`),
 * and exits with code 2.
 *
 * @example
 * ```ts
 * if (!Number.isInteger(port)) throw new UsageError(`--port must be a whole number, got ${raw}`);
 * ```
 */
export class UsageError extends Error {
  /** @param problem what is wrong, naming the option or value (no trailing period). */
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'UsageError';
  }
}
