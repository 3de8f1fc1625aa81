import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import type { Approvals } from '../storage/approvals';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../storage/approvals-records';
import { ApiError } from './api-error';
import { parseApprovalId, parseDecision } from './approval-input';
import { approvalAnswer, approvalJson, grantJson } from './approval-json';
import { projectAccess } from './project-access';
import { paramsSchema, querySchema, text } from './parameter-schemas';
import {
  approvalSchema,
  arrayOf,
  grantListSchema,
  grantSchema,
  nullableString,
  objectSchema,
  responses,
  types,
} from './response-schemas';

type ProjectRequest = FastifyRequest<{
  Params: { project: string; id?: string };
  Querystring: Record<string, unknown>;
}>;

/**
 * Options of {@link approvalProjectRoutes}.
 *
 * @example
 * ```ts
 * const options: ApprovalProjectRoutesOptions = { approvals: storage.approvals, access };
 * ```
 */
export interface ApprovalProjectRoutesOptions {
  approvals: Approvals;
  access: Access;
}

const PROJECT_PARAMS = paramsSchema({ project: text() });
const ID_PARAMS = paramsSchema({ project: text(), id: text() });
const LIST_SCHEMA = {
  params: PROJECT_PARAMS,
  querystring: querySchema(['status', 'limit', 'before']),
  response: responses({
    200: objectSchema(
      { approvals: arrayOf(approvalSchema), pending: types.integer, next_before: nullableString },
      ['approvals', 'pending', 'next_before'],
    ),
  }),
};

/** What a read token hears from the routes that decide or revoke. */
const DECIDER_ONLY = {
  loginRequired:
    'Deciding approvals and revoking grants needs a dashboard login; a read token can only list them.',
};

/**
 * The dashboard's approval API under `/api/projects/:project`: the queue
 * (`GET …/approvals`), a decision (`POST …/approvals/:id/decision`), the grants
 * (`GET …/grants`) and a revocation (`DELETE …/grants/:id`). A read token may list; only a
 * signed-in user may decide or revoke, with the CSRF token of their login.
 *
 * @example
 * ```ts
 * await app.register(approvalProjectRoutes, { approvals: storage.approvals, access });
 * ```
 */
export const approvalProjectRoutes: FastifyPluginAsync<ApprovalProjectRoutesOptions> = async (
  app,
  { approvals, access },
) => {
  await app.register(projectAccess, { access });

  app.get('/api/projects/:project/approvals', { schema: LIST_SCHEMA }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
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
    {
      bodyLimit: 16 * 1024,
      config: DECIDER_ONLY,
      schema: { params: ID_PARAMS, response: responses({ 200: approvalSchema }) },
    },
    async (request: ProjectRequest) => {
      const { id: projectId, user } = request.project;
      const id = parseApprovalId(request.params.id!, 'approval');
      const decision = parseDecision(request.body, user!.email);
      const { approval } = await approvalAnswer(() => approvals.decide(projectId, id, decision));
      return approvalJson(approval);
    },
  );

  app.get(
    '/api/projects/:project/grants',
    {
      schema: {
        params: PROJECT_PARAMS,
        response: responses({ 200: grantListSchema }),
      },
    },
    async (request: ProjectRequest) => {
      return { grants: (await approvals.grants(request.project.id)).map(grantJson) };
    },
  );

  app.delete(
    '/api/projects/:project/grants/:id',
    { config: DECIDER_ONLY, schema: { params: ID_PARAMS, response: responses({ 200: grantSchema }) } },
    async (request: ProjectRequest) => {
      const { id: projectId, user } = request.project;
      const id = parseApprovalId(request.params.id!, 'grant');
      return grantJson(await approvalAnswer(() => approvals.revokeGrant(projectId, id, user!.email)));
    },
  );
};

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
