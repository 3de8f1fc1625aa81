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
