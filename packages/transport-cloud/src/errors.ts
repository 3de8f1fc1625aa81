import { ConfigurationError } from '@agentsudo/core';

/**
 * A cloud option is missing or has a bad value. `option` names it and `value` holds what
 * was given (never the API key itself), so the message and the fields agree.
 *
 * @example
 * ```ts
 * try {
 *   configureCloud({ apiKey: '' });
 * } catch (e) {
 *   if (e instanceof CloudConfigError) console.log(e.option); // 'apiKey'
 * }
 * ```
 */
export class CloudConfigError extends ConfigurationError {
  constructor(
    /** The option at fault, e.g. `apiKey`, `endpoint`, `batchSize`. */
    readonly option: string,
    /** What was given (redacted for `apiKey`). */
    readonly value: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'CloudConfigError';
  }
}

/**
 * What makes a spool folder unsafe: `symlink` (the folder is a symbolic link), `not_dir`
 * (a file is in the way), `owner` (another user owns it), `mode` (group or others may
 * write in it), or `io` (it cannot be created or inspected at all).
 *
 * @example
 * ```ts
 * const problem: SpoolDirProblem = 'owner';
 * ```
 */
export type SpoolDirProblem = 'symlink' | 'not_dir' | 'owner' | 'mode' | 'io';

/**
 * The spool folder (or one of the folders above it that AgentSudo owns) is not private to
 * this user, so cloud mode does not use it: another account could read the events, plant
 * forged ones, or delete them. Delivery goes on without a spool; this error is reported
 * once on stderr and events that would have gone to disk are counted as `spool_error`.
 *
 * @example
 * ```ts
 * const err = new SpoolDirError('/tmp/agentsudo-1000', 'owner', 'it belongs to uid 1001, not to this process (uid 1000)', 'remove it');
 * err.message; // "Not using the spool folder '/tmp/agentsudo-1000': it belongs to uid 1001, …"
 * ```
 */
export class SpoolDirError extends Error {
  constructor(
    /** The folder at fault. */
    readonly dir: string,
    readonly problem: SpoolDirProblem,
    reason: string,
    fix: string,
  ) {
    super(
      `Not using the spool folder '${dir}': ${reason}. Cloud delivery goes on without a disk spool ` +
        `(events the dashboard cannot take are dropped and counted). To fix: ${fix}`,
    );
    this.name = 'SpoolDirError';
  }
}

/**
 * The message of anything thrown, for a stderr line.
 *
 * @example
 * ```ts
 * errorMessage(new Error('disk full')); // 'disk full'
 * ```
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
