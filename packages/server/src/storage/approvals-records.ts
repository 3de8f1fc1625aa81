/**
 * Where an approval is: waiting for a person, decided, or past its deadline undecided.
 *
 * @example
 * ```ts
 * const s: ApprovalStatus = 'pending';
 * ```
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/**
 * Every {@link ApprovalStatus}, in the order the queue lists them.
 *
 * @example
 * ```ts
 * APPROVAL_STATUSES.includes('expired'); // true
 * ```
 */
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = Object.freeze([
  'pending',
  'approved',
  'denied',
  'expired',
]);

/**
 * Who asked: this SDK (`cloudApproval`) or the Python SDK's `SlackApproval`.
 *
 * @example
 * ```ts
 * const source: ApprovalSource = 'python';
 * ```
 */
export type ApprovalSource = 'sdk' | 'python';

/**
 * One approval held by the server: a guarded call that waits for (or waited for) a person.
 * Times are milliseconds since the epoch. An approved approval is used once, by the call
 * it was asked for (`consumedAt`).
 *
 * @example
 * ```ts
 * const approval = await storage.approvals.get(projectId, id);
 * if (approval?.status === 'approved' && approval.consumedAt === undefined) console.log('usable');
 * ```
 */
export interface ApprovalRecord {
  id: string;
  projectId: string;
  source: ApprovalSource;
  /**
   * As read: a pending approval whose deadline passed reads `expired` even before the
   * expiry sweep writes it.
   */
  status: ApprovalStatus;
  agentName: string;
  agentId?: string;
  sessionId?: string;
  scope: string;
  functionName: string;
  /** What `describe(...args)` returned, if the developer passed it: the only text about the call. */
  description?: string;
  /** 64 lowercase hex characters binding the approval to the call's arguments. */
  argsDigest?: string;
  /** The Slack channel the Python SDK named. */
  channel?: string;
  createdAt: number;
  expiresAt: number;
  decidedAt?: number;
  decidedBy?: string;
  reason?: string;
  rememberMinutes?: number;
  sameArgsOnly?: boolean;
  /** The remembered grant this decision made, or the grant that approved it at once. */
  grantId?: string;
  consumedAt?: number;
}

/**
 * What a new approval asks for.
 *
 * @example
 * ```ts
 * const asked: NewApproval = { source: 'sdk', agentName: 'SupportBot', scope: 'write:refunds',
 *   functionName: 'Billing.refund', argsDigest: 'ab12…', timeoutMs: 300_000 };
 * ```
 */
export interface NewApproval {
  source: ApprovalSource;
  agentName: string;
  agentId?: string;
  sessionId?: string;
  scope: string;
  functionName: string;
  description?: string;
  argsDigest?: string;
  channel?: string;
  /** How long a person has to decide, in milliseconds. */
  timeoutMs: number;
  /** A retry of the same create names the same key and gets the same approval back. */
  requestKey?: string;
}

/**
 * A person's decision on a pending approval.
 *
 * @example
 * ```ts
 * const d: ApprovalDecision = { decision: 'approve', decidedBy: 'ops@example.com', rememberMinutes: 30 };
 * ```
 */
export interface ApprovalDecision {
  decision: 'approve' | 'deny';
  /** The user's email (or another name that tells people who decided). */
  decidedBy: string;
  reason?: string;
  /** With approve only: the agent keeps the scope for this many minutes without asking. */
  rememberMinutes?: number;
  /** With rememberMinutes: the grant covers only calls with the same argument digest. */
  sameArgsOnly?: boolean;
}

/**
 * What a call that consumes an approval says it is; every field must equal what was asked.
 *
 * @example
 * ```ts
 * const call: ApprovalBinding = { agentName: 'SupportBot', scope: 'write:refunds',
 *   functionName: 'Billing.refund', argsDigest: 'ab12…' };
 * ```
 */
export interface ApprovalBinding {
  agentName: string;
  agentId?: string;
  scope: string;
  functionName: string;
  argsDigest: string;
}

/**
 * A remembered grant: the agent may use the scope without asking again until `expiresAt`,
 * for any arguments or, with `argsDigest`, the same ones. Times in milliseconds.
 *
 * @example
 * ```ts
 * const grants = await storage.approvals.activeGrants(projectId, { agentName: 'SupportBot' });
 * ```
 */
export interface GrantRecord {
  id: string;
  projectId: string;
  approvalId: string;
  agentName: string;
  agentId?: string;
  scope: string;
  argsDigest?: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number;
  revokedAt?: number;
  revokedBy?: string;
}

/**
 * A change that waiters and streams hear of: an approval decided or expired, a grant
 * made or revoked.
 *
 * @example
 * ```ts
 * storage.approvals.subscribe(projectId, (c) => c.kind === 'approval' && console.log(c.approval.status));
 * ```
 */
export type ApprovalChange =
  { kind: 'approval'; approval: ApprovalRecord } | { kind: 'grant'; grant: GrantRecord };
