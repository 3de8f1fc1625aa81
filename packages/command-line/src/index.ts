/**
 * `@agentsudo/command-line`: what AgentSudo's two commands, `agentsudo` (the audit log
 * reader) and `agentsudo-server` (the dashboard server and its administration), share so
 * that they behave alike. No dependencies beyond Node: it is neither part of the engine
 * (`@agentsudo/core` does no I/O and is loaded by every agent) nor of either command's
 * package (the server must not load the SDK's transports, nor the SDK the server's
 * database drivers).
 *
 * @example
 * ```ts
 * import { endQuietlyOnClosedPipe } from '@agentsudo/command-line';
 * endQuietlyOnClosedPipe(); // `… | head -1` ends the command quietly
 * ```
 *
 * @packageDocumentation
 */
export { endQuietlyOnClosedPipe } from './closed-pipe';
