/**
 * No decision came for an approval request within `timeoutMs`: the call was refused and
 * the server lets the request expire. `lastError` is what went wrong last while waiting,
 * when the server could not be reached for part of the time.
 *
 * @example
 * ```ts
 * if (err instanceof PermissionDeniedError && err.cause instanceof ApprovalTimeoutError) notifyOnCall(err.cause.approvalId);
 * ```
 */
export class ApprovalTimeoutError extends Error {
  constructor(
    readonly approvalId: string,
    readonly timeoutMs: number,
    readonly lastError?: unknown,
  ) {
    super(
      `No one decided approval request ${approvalId} within ${timeoutMs} ms, so the call was refused. ` +
        `Raise cloudApproval's timeoutMs, or have someone watch the dashboard's Approvals page.` +
        (lastError instanceof Error ? ` While waiting: ${lastError.message}` : ''),
    );
    this.name = 'ApprovalTimeoutError';
  }
}

/**
 * A person denied the approval request, or it expired on the server, so the call was refused.
 *
 * @example
 * ```ts
 * if (err.cause instanceof ApprovalRefusedError) console.log(err.cause.decidedBy, err.cause.reason);
 * ```
 */
export class ApprovalRefusedError extends Error {
  constructor(
    readonly approvalId: string,
    /** `denied` (someone said no) or `expired` (nobody answered in time). */
    readonly status: 'denied' | 'expired',
    readonly decidedBy?: string,
    readonly reason?: string,
  ) {
    super(
      status === 'expired'
        ? `Approval request ${approvalId} expired before anyone decided it; the call was refused. Make the call again to ask anew.`
        : `Approval request ${approvalId} was denied${decidedBy ? ` by ${decidedBy}` : ''}` +
            `${reason ? `: ${reason}` : ''}; the call was refused.`,
    );
    this.name = 'ApprovalRefusedError';
  }
}
