/**
 * @agentsudo/core: the permission engine. Agents with scopes, sessions that travel with
 * async work, `@Sudo` / `sudo()`, decisions, events and the transport contract. No I/O
 * beyond the local-only stderr line.
 *
 * @example
 * ```ts
 * import { Agent, Sudo, PermissionError } from '@agentsudo/core';
 * ```
 */
export { Agent, type AgentOptions } from './agent';
export { Session, currentAgent, currentSession } from './session';
export { Sudo, sudo, type SudoDecorator } from './decorator';
export type { SudoOptions, OnDeny, Approver, ApprovalContext, ApprovalVerdict, WhenContext } from './options';
export {
  PermissionError,
  PermissionDeniedError,
  ApprovalPendingError,
  NoSessionError,
  SessionExpiredError,
  ConfigurationError,
  type PermissionErrorDetails,
  type DenialDetails,
  type DeniedLimit,
} from './errors';
export { parseDuration, type LimitRule, type LimitRules, type LimitKind } from './limit-rules';
export { SlidingWindow } from './sliding-window';
export type { GuardFlag } from './guarding';
export {
  SUDO_METADATA_KEY,
  getSudoMetadata,
  listProtectedMethods,
  type SudoMetadata,
  type ProtectedMethod,
} from './metadata';
export {
  SUDO_ACTIONS,
  PYTHON_ACTIONS,
  WireFormatError,
  MAX_APPROVAL_FIELD_LENGTH,
  toWire,
  fromWire,
  createEvent,
  newEventId,
  parseIsoTime,
  type SudoEvent,
  type SudoAction,
  type WireEvent,
} from './events';
export type { Transport } from './transport';
export {
  DENIAL_REASONS,
  type DenialReason,
  type Guard,
  type GuardContext,
  type GuardFinding,
  type LimitStore,
  type ReserveRequest,
  type ReserveResult,
} from './guard';
export { onNoSessionCall, recordEvent, wantsEvent, type NoSessionCall } from './refusals';
export {
  configure,
  addTransport,
  removeTransport,
  closeTransport,
  getTransports,
  flush,
  shutdown,
  type SudoConfig,
} from './config';
export { LocalNoticeTransport, describeOutcome, describeSubject } from './local-notice';
export { compileScopes, assertValidScope, type ScopeMatcher } from './scopes';
export { SDK_NAME, SDK_VERSION } from './version';
export {
  PolicyError,
  formatPolicyPath,
  type PolicyPath,
  type PolicyLocation,
  type PolicyLocator,
} from './policy-error';
export {
  validatePolicy,
  POLICY_GUARD_NAMES,
  type PolicySpec,
  type PolicyAgentSpec,
  type PolicyGuardSpec,
  type PolicyGuardName,
} from './policy-format';
export { compilePolicy, type PolicyRules } from './policy-rules';
