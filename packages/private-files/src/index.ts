/**
 * `@agentsudo/private-files`: the one set of rules by which AgentSudo decides that a folder
 * on a shared machine is safe to keep an audit trail in. The file log
 * (`@agentsudo/transport-file`), the cloud spool (`@agentsudo/transport-cloud`) and the
 * server's SQLite database (`@agentsudo/server`) all keep to them, so a folder one accepts
 * the others accept too. No dependencies beyond Node.
 *
 * @example
 * ```ts
 * import { ensureTrustedDir, UnsafeFolderError } from '@agentsudo/private-files';
 * try { ensureTrustedDir('/var/log/myapp'); }
 * catch (e) { if (e instanceof UnsafeFolderError) console.error(`${e.path}: ${e.reason}`); }
 * ```
 *
 * @packageDocumentation
 */
export {
  ensurePrivateDir,
  ensureTrustedDir,
  UnsafeFolderError,
  type FolderIdentity,
  type FolderProblem,
} from './private-dir';
