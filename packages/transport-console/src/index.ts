/**
 * @agentsudo/transport-console: one readable line per AgentSudo event on stderr,
 * through winston.
 *
 * @example
 * ```ts
 * import { configure } from '@agentsudo/core';
 * import { ConsoleTransport } from '@agentsudo/transport-console';
 *
 * configure({ transports: [new ConsoleTransport({ level: 'warn', format: 'pretty' })] });
 * ```
 */
export { ConsoleTransport, type ConsoleTransportOptions } from './console-transport';
export { levelFor, type ConsoleLevel } from './levels';
export { renderPretty, renderJson } from './render';
