import { ConfigurationError, type SudoAction } from '@agentsudo/core';

/**
 * The console's levels, most severe first (winston's npm levels, trimmed to those used).
 *
 * @example
 * ```ts
 * const level: ConsoleLevel = 'debug'; // show every allowed check too
 * ```
 */
export type ConsoleLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * Severity rank: lower is more severe, as in winston's npm levels.
 *
 * @example
 * ```ts
 * LEVEL_RANK.error < LEVEL_RANK.warn; // true
 * ```
 */
export const LEVEL_RANK: Readonly<Record<ConsoleLevel, number>> = Object.freeze({
  error: 0,
  warn: 1,
  info: 2,
  debug: 5,
});

/**
 * The level an event is printed at. Denials and expired sessions are errors, audit
 * violations and approver outcomes are warnings, session start/end are info, and
 * allowed checks are debug (they are the bulk of traffic and rarely interesting).
 *
 * @example
 * ```ts
 * levelFor('permission_check', false); // 'error'
 * levelFor('permission_check', true);  // 'debug'
 * ```
 */
export function levelFor(action: SudoAction, allowed: boolean): ConsoleLevel {
  switch (action) {
    case 'permission_check':
      return allowed ? 'debug' : 'error';
    case 'session_expired':
      return 'error';
    case 'audit_violation':
    case 'approval_requested':
    case 'approval_granted':
    case 'approval_denied':
    case 'approval_expired':
      return 'warn';
    default:
      return 'info';
  }
}

/**
 * Throws a ConfigurationError naming the bad level and the accepted ones.
 *
 * @example
 * ```ts
 * assertLevel('verbose'); // ConfigurationError: level "verbose" is not one of error, warn, info, debug …
 * ```
 */
export function assertLevel(level: unknown): asserts level is ConsoleLevel {
  if (typeof level !== 'string' || !Object.prototype.hasOwnProperty.call(LEVEL_RANK, level)) {
    throw new ConfigurationError(
      `ConsoleTransport: level ${JSON.stringify(level)} is not one of ${Object.keys(LEVEL_RANK).join(', ')}. ` +
        `Use 'warn' (the default) for denials and audit violations, 'debug' to see every check.`,
    );
  }
}
