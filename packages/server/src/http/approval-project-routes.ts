import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import { requireCsrfToken } from '../auth/csrf';
import type { Approvals } from '../storage/approvals';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../storage/approvals-records';
import type { UserRecord } from '../storage/records';
import { ApiError } from './api-error';
import { parseApprovalId, parseDecision } from './approval-input';
import { approvalAnswer, approvalJson, grantJson } from './approval-json';

type ProjectRequest = FastifyRequest<{
  Params: { project: string; id?: string };
  Querystring: Record<string, unknown>;
}>;

/**
 * The dashboard's approval API under `/api/projects/:project`: the queue
 * (`GET …/approvals`), a decision (`POST …/approvals/:id/decision`), the grants
 * (`GET …/grants`) and a revocation (`DELETE …/grants/:id`). A read token may list; only a
 * signed-in user may decide or revoke, with the CSRF token of their login.
 *
 * @example
 * ```ts
 * approvalProjectRoutes(app, { approvals: storage.approvals, access });
 * ```
 */
export function approvalProjectRoutes(
  app: FastifyInstance,
  ctx: { approvals: Approvals; access: Access },
): void {
  const { approvals, access } = ctx;

  /** A reader of the project in the URL (user or read token). */
  const reader = async (request: ProjectRequest): Promise<string> => {
    const who = await access.reader(request);
    await access.readableProject(who, request.params.project);
    return request.params.project;
  };

  /** A signed-in user with access to the project, whose request carries its CSRF token. */
  const decider = async (request: ProjectRequest): Promise<{ projectId: string; user: UserRecord }> => {
    requireCsrfToken(request);
    const who = await access.reader(request);
    if (who.kind !== 'user')
      throw new ApiError(
        403,
        'login_required',
        'Deciding approvals and revoking grants needs a dashboard login; a read token can only list them.',
      );
    await access.readableProject(who, request.params.project);
    return { projectId: request.params.project, user: who.user };
  };

  app.get('/api/projects/:project/approvals', async (request: ProjectRequest) => {
    const projectId = await reader(request);
    const { status, limit, before } = parseListQuery(request.query);
    const page = await approvalAnswer(() => approvals.list(projectId, { status, limit, before }));
    return {
      approvals: page.approvals.map(approvalJson),
      pending: page.pending,
      next_before: page.next ?? null,
    };
  });

  app.post(
    '/api/projects/:project/approvals/:id/decision',
    { bodyLimit: 16 * 1024 },
    async (request: ProjectRequest) => {
      const { projectId, user } = await decider(request);
      const id = parseApprovalId(request.params.id!, 'approval');
      const decision = parseDecision(request.body, user.email);
      const { approval } = await approvalAnswer(() => approvals.decide(projectId, id, decision));
      return approvalJson(approval);
    },
  );

  app.get('/api/projects/:project/grants', async (request: ProjectRequest) => {
    const projectId = await reader(request);
    return { grants: (await approvals.grants(projectId)).map(grantJson) };
  });

  app.delete('/api/projects/:project/grants/:id', async (request: ProjectRequest) => {
    const { projectId, user } = await decider(request);
    const id = parseApprovalId(request.params.id!, 'grant');
    return grantJson(await approvalAnswer(() => approvals.revokeGrant(projectId, id, user.email)));
  });
}

/** `status` (one of the four, or all), `limit` (1..200, default 50), `before` (an approval id). */
function parseListQuery(q: Record<string, unknown>): {
  status?: ApprovalStatus;
  limit: number;
  before?: string;
} {
  const bad = (name: string, value: unknown, hint: string) =>
    new ApiError(
      400,
      'invalid_query',
      `Query parameter ${name}=${JSON.stringify(value)} is invalid: ${hint}.`,
      name,
    );
  const out: { status?: ApprovalStatus; limit: number; before?: string } = { limit: 50 };
  if (q.status !== undefined && q.status !== '') {
    if (!(APPROVAL_STATUSES as readonly unknown[]).includes(q.status))
      throw bad('status', q.status, `use one of ${APPROVAL_STATUSES.join(', ')}, or leave it out for all`);
    out.status = q.status as ApprovalStatus;
  }
  if (q.limit !== undefined && q.limit !== '') {
    const n = typeof q.limit === 'string' && /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : NaN;
    if (!(n >= 1 && n <= 200)) throw bad('limit', q.limit, 'use a whole number from 1 to 200');
    out.limit = n;
  }
  if (q.before !== undefined && q.before !== '') {
    if (typeof q.before !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(q.before))
      throw bad('before', q.before, 'pass the id of the last approval of the previous page (next_before)');
    out.before = q.before;
  }
  return out;
}
