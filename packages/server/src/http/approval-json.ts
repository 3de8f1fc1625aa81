import {
  ApprovalBindingError,
  ApprovalNotFoundError,
  ApprovalStateError,
  PendingApprovalLimitError,
  RequestKeyReusedError,
} from '../storage/approvals-errors';
import type { ApprovalRecord, GrantRecord } from '../storage/approvals-records';
import { ApiError } from './api-error';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * An approval as every route answers it (snake_case, ISO 8601 times, absent keys left out).
 * The project is named by id. A key added here is added to `approvalSchema`
 * (response-schemas.ts) too, or routes drop it.
 *
 * @example
 * ```ts
 * return approvalJson(await storage.approvals.get(projectId, id));
 * ```
 */
export function approvalJson(a: ApprovalRecord): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: a.id,
    status: a.status,
    project: a.projectId,
    agent_name: a.agentName,
    scope: a.scope,
    function_name: a.functionName,
    created_at: iso(a.createdAt),
    expires_at: iso(a.expiresAt),
    source: a.source,
  };
  if (a.agentId !== undefined) json.agent_id = a.agentId;
  if (a.sessionId !== undefined) json.session_id = a.sessionId;
  if (a.description !== undefined) json.description = a.description;
  if (a.argsDigest !== undefined) json.args_digest = a.argsDigest;
  if (a.channel !== undefined) json.channel = a.channel;
  if (a.decidedAt !== undefined) json.decided_at = iso(a.decidedAt);
  if (a.decidedBy !== undefined) json.decided_by = a.decidedBy;
  if (a.reason !== undefined) json.reason = a.reason;
  if (a.rememberMinutes !== undefined) json.remember_minutes = a.rememberMinutes;
  if (a.sameArgsOnly !== undefined) json.same_args_only = a.sameArgsOnly;
  if (a.grantId !== undefined) json.grant_id = a.grantId;
  if (a.consumedAt !== undefined) json.consumed_at = iso(a.consumedAt);
  return json;
}

/**
 * A remembered grant as the routes and the stream answer it. A key added here is added to
 * `grantSchema` (response-schemas.ts) too, or routes drop it.
 *
 * @example
 * ```ts
 * res.write(`event: grant\ndata: ${JSON.stringify(grantJson(grant))}\n\n`);
 * ```
 */
export function grantJson(g: GrantRecord): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: g.id,
    approval_id: g.approvalId,
    agent_name: g.agentName,
    scope: g.scope,
    created_at: iso(g.createdAt),
    created_by: g.createdBy,
    expires_at: iso(g.expiresAt),
  };
  if (g.agentId !== undefined) json.agent_id = g.agentId;
  if (g.argsDigest !== undefined) json.args_digest = g.argsDigest;
  if (g.revokedAt !== undefined) json.revoked_at = iso(g.revokedAt);
  if (g.revokedBy !== undefined) json.revoked_by = g.revokedBy;
  return json;
}

/**
 * Runs a repository call and answers its refusals as HTTP errors: unknown 404, a state
 * that does not allow it 409 (naming the status), a call that is not the one asked for
 * 403 `binding_mismatch` (naming the field), a full queue 429 (naming the limit).
 *
 * @example
 * ```ts
 * const approval = await approvalAnswer(() => approvals.consume(projectId, id, call));
 * ```
 */
export async function approvalAnswer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ApprovalNotFoundError)
      throw new ApiError(
        404,
        err.kind === 'approval' ? 'approval_not_found' : 'grant_not_found',
        err.message,
      );
    if (err instanceof ApprovalStateError) {
      const code = err.consumed
        ? 'approval_consumed'
        : err.status === 'expired'
          ? 'approval_expired'
          : err.action === 'decide'
            ? 'approval_decided'
            : 'approval_not_approved';
      throw new StatusConflictError(code, err.consumed ? 'consumed' : err.status, err.message);
    }
    if (err instanceof ApprovalBindingError)
      throw new ApiError(403, 'binding_mismatch', err.message, err.field);
    if (err instanceof PendingApprovalLimitError)
      throw new ApiError(429, 'too_many_pending_approvals', err.message);
    if (err instanceof RequestKeyReusedError)
      throw new ApiError(409, 'request_key_reused', err.message, 'request_key');
    throw err;
  }
}

/**
 * 409: the approval is not in a state that allows the request; `status` says where it is
 * (`pending`, `approved`, `denied`, `expired`, or `consumed`) and is part of the answer.
 *
 * @example
 * ```ts
 * throw new StatusConflictError('approval_expired', 'expired', 'Approval … expired before it was decided; …');
 * ```
 */
export class StatusConflictError extends ApiError {
  constructor(
    code: string,
    readonly status: string,
    message: string,
  ) {
    super(409, code, message, undefined, { status });
  }
}
