/**
 * agentsudo: the permission layer for AI agents. Everything from `@agentsudo/core`,
 * the console, file and cloud transports, and defaults: importing this package installs the
 * console transport (level `warn`) when nothing else is configured.
 *
 * @example
 * ```ts
 * import { Agent, Sudo, PermissionError, configureFileLog } from 'agentsudo';
 *
 * configureFileLog({ filename: 'logs/agentsudo.jsonl' });
 * const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
 * ```
 */
import { installDefaultConsole } from './defaults';

export * from '@agentsudo/core';
// Each transport's whole public API, as its own index defines it (no list to keep in step).
export * from '@agentsudo/transport-console';
export * from '@agentsudo/transport-file';
export * from '@agentsudo/transport-cloud';
export { configureConsole, configureFileLog } from './defaults';

installDefaultConsole();
export * from './policy';
