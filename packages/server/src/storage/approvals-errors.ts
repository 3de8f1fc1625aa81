import type { ApprovalStatus } from './approvals-records';

/**
 * Base of what the approvals repository refuses; each says what to do next. The routes
 * answer them as HTTP errors (see `http/approval-errors.ts`).
 *
 * @example
 * ```ts
 * try { await approvals.decide(p, id, d); } catch (e) { if (e instanceof ApprovalError) console.log(e.message); }
 * ```
 */
export class ApprovalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * No approval (or grant) with that id in the project. Another project's ids read the same
 * way: they must not be told apart from ids that do not exist.
 *
 * @example
 * ```ts
 * new ApprovalNotFoundError('approval', 'Xk2…').id;
 * ```
 */
export class ApprovalNotFoundError extends ApprovalError {
  constructor(
    readonly kind: 'approval' | 'grant',
    readonly id: string,
  ) {
    super(
      kind === 'approval'
        ? `No approval ${JSON.stringify(id)} in this project; use the id that POST /api/approvals answered.`
        : `No grant ${JSON.stringify(id)} in this project; GET /api/projects/:project/grants lists them.`,
    );
  }
}

/**
 * The approval is not in a state that allows this: decided already (a decision is made
 * once), expired, consumed already, or not approved. `status` is where it is.
 *
 * @example
 * ```ts
 * if (err instanceof ApprovalStateError && err.status === 'expired') console.log('ask again');
 * ```
 */
export class ApprovalStateError extends ApprovalError {
  constructor(
    readonly id: string,
    readonly status: ApprovalStatus,
    readonly consumed: boolean,
    /** What was refused: a decision, or a call using the approval. */
    readonly action: 'decide' | 'consume',
  ) {
    super(
      action === 'decide'
        ? status === 'expired'
          ? `Approval ${id} expired before it was decided; an expired request cannot be approved. The agent asks again if it still needs to.`
          : `Approval ${id} was already decided (${status}); a decision is made once.`
        : consumed
          ? `Approval ${id} was already used by its call; an approval allows one call. Ask for a new one.`
          : status === 'approved'
            ? `Approval ${id} expired before its call used it; ask for a new one.`
            : `Approval ${id} is ${status}, not approved; only an approved approval allows its call.`,
    );
  }
}

/**
 * A consume named a call other than the one the approval was asked for: `field` is the
 * first that differs (agent_name, agent_id, scope, function_name or args_digest).
 *
 * @example
 * ```ts
 * new ApprovalBindingError('args_digest').field; // 'args_digest'
 * ```
 */
export class ApprovalBindingError extends ApprovalError {
  constructor(readonly field: string) {
    super(
      `This call's ${field} differs from the one the approval was asked for: an approval allows only the exact call it was asked for. Ask for a new approval for this call.`,
    );
  }
}

/**
 * The project already holds `limit` pending approvals: a new one is refused so that a
 * leaked ingest key cannot fill the disk.
 *
 * @example
 * ```ts
 * new PendingApprovalLimitError(1000).limit; // 1000
 * ```
 */
export class PendingApprovalLimitError extends ApprovalError {
  constructor(readonly limit: number) {
    super(
      `This project already has ${limit} pending approvals (the maxPendingApprovals setting); decide or let some expire, then retry.`,
    );
  }
}

/**
 * A create reused a `request_key` that an approval for another call already holds.
 *
 * @example
 * ```ts
 * new RequestKeyReusedError('6f1c…').requestKey;
 * ```
 */
export class RequestKeyReusedError extends ApprovalError {
  constructor(readonly requestKey: string) {
    super(
      `request_key ${JSON.stringify(requestKey)} already names an approval for another call; send a new random key (a uuid) with each new request, the same one only when retrying it.`,
    );
  }
}
