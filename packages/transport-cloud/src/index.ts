/**
 * @agentsudo/transport-cloud: cloud mode. Sends every permission check to the AgentSudo
 * dashboard in batches, without ever blocking the checked call; keeps what the dashboard
 * cannot take yet in a bounded queue and an on-disk spool.
 *
 * @example
 * ```ts
 * import { configureCloud, shutdownCloud } from '@agentsudo/transport-cloud';
 * configureCloud({ apiKey: 'as_…' });
 * // … agents, sessions, @Sudo calls …
 * await shutdownCloud();
 * ```
 */
export {
  configureCloud,
  disableCloud,
  getCloudConfig,
  flushCloud,
  shutdownCloud,
  getCloudStats,
  type CloudConfig,
  type CloudHandle,
} from './cloud';
export { CloudTransport, type MakeSender } from './transport';
export {
  HttpSender,
  type EventSender,
  type HttpSenderSettings,
  type PreparedBody,
  type SendOutcome,
} from './http-sender';
export { CloudConfigError, SpoolDirError, type SpoolDirProblem } from './errors';
export { DEFAULT_ENDPOINT, defaultSpoolRoot, type CloudOptions, type ResolvedCloudOptions } from './options';
export type { CloudStats, DropReason } from './stats';
export { cloudApproval, type CloudApprovalOptions } from './approval';
export { closeApprovalStreams } from './approval-stream';
export { ApprovalServerError } from './approval-api';
export { ApprovalRefusedError, ApprovalTimeoutError } from './approval-errors';
export { ArgsDigestError } from './approval-digest';
