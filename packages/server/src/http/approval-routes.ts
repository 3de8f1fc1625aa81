import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import type { CredentialWatch } from '../auth/credential-watch';
import type { Accounts } from '../storage/accounts';
import type { Approvals } from '../storage/approvals';
import { ApprovalNotFoundError } from '../storage/approvals-errors';
import type { ApprovalChange, ApprovalRecord } from '../storage/approvals-records';
import { ApiError } from './api-error';
import {
  parseApprovalId,
  parseBinding,
  parseNewApproval,
  parsePythonApproval,
  parseWaitTimeout,
} from './approval-input';
import { approvalAnswer, approvalJson, grantJson } from './approval-json';
import { LiveLimitError, type LiveConnections } from './live-connections';
import { paramsSchema, querySchema, text } from './parameter-schemas';
import { approvalSchema, grantListSchema, objectSchema, responses, types } from './response-schemas';

/** Approval bodies are a few fields; anything larger is not one. */
const BODY_LIMIT = 16 * 1024;
const ID_PARAMS = paramsSchema({ id: text() });
const HEARTBEAT_MS = 15_000;
/** A stream client this far behind (bytes queued in its socket) is cut off instead of buffered. */
const MAX_QUEUED_BYTES = 256 * 1024;

/** An approval, answered 201 when the request made it, 200 when it was there already or a grant answered it. */
const APPROVAL_MADE = responses({ 201: approvalSchema, 200: approvalSchema });
const APPROVAL = responses({ 200: approvalSchema });
const GRANTS = responses({ 200: grantListSchema });
/** The Python SDK's view of an approval. */
const PYTHON_APPROVAL = objectSchema({ id: types.string, status: types.string }, ['id', 'status']);

type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>;

/**
 * What the approval routes use: the repository, who may call, and the caps on waits and
 * streams (an ingest key counts as its project's one credential).
 *
 * @example
 * ```ts
 * const ctx: ApprovalRouteContext = { approvals: storage.approvals, accounts: storage.accounts, access, connections, watch };
 * ```
 */
export interface ApprovalRouteContext {
  approvals: Approvals;
  accounts: Pick<Accounts, 'keysVersion'>;
  access: Access;
  /** Long-lived requests (waits and streams), counted per project and in all. */
  connections: LiveConnections;
  watch: CredentialWatch;
}

/**
 * The SDK's approval API (ingest key as `Authorization: Bearer`; the project is the key's):
 * `POST /api/approvals`, `GET /api/approvals/:id`, `GET /api/approvals/:id/wait`,
 * `GET /api/approvals/stream`, `POST /api/approvals/:id/consume`, `GET /api/grants`; and the
 * Python SDK's `POST /api/slack/approvals` and `GET /api/slack/approvals/:id`. Waits and
 * streams are capped like live feeds and end on shutdown; a stream ends once its key is
 * revoked.
 *
 * @example
 * ```ts
 * await app.register(approvalRoutes, { approvals: storage.approvals, accounts: storage.accounts, access, connections, watch });
 * ```
 */
export const approvalRoutes: FastifyPluginAsync<ApprovalRouteContext> = async (app, ctx) => {
  const { approvals, access } = ctx;

  app.post(
    '/api/approvals',
    { bodyLimit: BODY_LIMIT, schema: { response: APPROVAL_MADE } },
    async (request, reply) => {
      const projectId = await access.ingestProject(request);
      const asked = parseNewApproval(request.body);
      const { approval, created, grant } = await approvalAnswer(() => approvals.create(projectId, asked));
      reply.code(created && !grant ? 201 : 200);
      return approvalJson(approval);
    },
  );

  // A stream: only its refusals are JSON.
  app.get('/api/approvals/stream', { schema: { response: responses({}) } }, async (request, reply) => {
    await stream(request, reply, ctx);
  });

  app.get(
    '/api/approvals/:id',
    { schema: { params: ID_PARAMS, response: APPROVAL } },
    async (request: IdRequest) => {
      const projectId = await access.ingestProject(request);
      return approvalJson(await found(approvals, projectId, request.params.id));
    },
  );

  app.get(
    '/api/approvals/:id/wait',
    { schema: { params: ID_PARAMS, querystring: querySchema(['timeout_ms']), response: APPROVAL } },
    async (request: IdRequest, reply) => {
      const { projectId, credential } = await access.ingestCredential(request);
      const timeoutMs = parseWaitTimeout(request.query);
      const approval = await found(approvals, projectId, request.params.id);
      if (approval.status !== 'pending' || timeoutMs === 0) return approvalJson(approval);
      const answer = await wait(reply, ctx, projectId, credential.owner, approval, timeoutMs);
      if (answer === undefined) {
        // The client left (nobody to answer), or the server is closing (answered 503 by endAll).
        reply.hijack();
        return;
      }
      return approvalJson(answer);
    },
  );

  app.post(
    '/api/approvals/:id/consume',
    { bodyLimit: BODY_LIMIT, schema: { params: ID_PARAMS, response: APPROVAL } },
    async (request: IdRequest) => {
      const projectId = await access.ingestProject(request);
      const id = parseApprovalId(request.params.id, 'approval');
      const call = parseBinding(request.body);
      return approvalJson(await approvalAnswer(() => approvals.consume(projectId, id, call)));
    },
  );

  app.get(
    '/api/grants',
    { schema: { querystring: querySchema(['agent_name']), response: GRANTS } },
    async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>) => {
      const projectId = await access.ingestProject(request);
      const agentName = request.query.agent_name;
      if (agentName !== undefined && (typeof agentName !== 'string' || agentName.length > 256))
        throw new ApiError(
          400,
          'invalid_query',
          `Query parameter agent_name=${JSON.stringify(agentName)} is invalid: give one agent name of at most 256 characters.`,
          'agent_name',
        );
      const grants = await approvals.activeGrants(projectId, agentName === undefined ? {} : { agentName });
      return { grants: grants.map(grantJson) };
    },
  );

  // The Python SDK's SlackApproval(cloud_url="<server>/api/slack"): the same queue.
  app.post(
    '/api/slack/approvals',
    {
      bodyLimit: BODY_LIMIT,
      schema: { response: responses({ 201: PYTHON_APPROVAL, 200: PYTHON_APPROVAL }) },
    },
    async (request, reply) => {
      const projectId = await access.ingestProject(request);
      const asked = parsePythonApproval(request.body);
      const { approval, created, grant } = await approvalAnswer(() => approvals.create(projectId, asked));
      reply.code(created && !grant ? 201 : 200);
      return { id: approval.id, status: pythonStatus(approval) };
    },
  );

  app.get(
    '/api/slack/approvals/:id',
    { schema: { params: ID_PARAMS, response: responses({ 200: PYTHON_APPROVAL }) } },
    async (request: IdRequest) => {
      const projectId = await access.ingestProject(request);
      const approval = await found(approvals, projectId, request.params.id);
      return { id: approval.id, status: pythonStatus(approval) };
    },
  );
};

/** The Python SDK knows pending, approved and denied: an expired request reads denied. */
function pythonStatus(a: ApprovalRecord): 'pending' | 'approved' | 'denied' {
  return a.status === 'expired' ? 'denied' : a.status;
}

async function found(approvals: Approvals, projectId: string, rawId: string): Promise<ApprovalRecord> {
  const id = parseApprovalId(rawId, 'approval');
  return approvalAnswer(
    async () =>
      (await approvals.get(projectId, id)) ?? Promise.reject(new ApprovalNotFoundError('approval', id)),
  );
}

/**
 * Holds the request until the approval is decided or expires, or `timeoutMs` passes;
 * resolves to the approval as it then reads, or undefined when the client left (or the
 * server closes) first.
 */
async function wait(
  reply: FastifyReply,
  ctx: ApprovalRouteContext,
  projectId: string,
  owner: string,
  pending: ApprovalRecord,
  timeoutMs: number,
): Promise<ApprovalRecord | undefined> {
  admit(reply, ctx, projectId, owner);
  const res = reply.raw;
  const release = ctx.connections.add(res, projectId, owner);
  return new Promise<ApprovalRecord | undefined>((resolve) => {
    let done = false;
    const finish = (answer: ApprovalRecord | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      res.off('close', onClose);
      release();
      resolve(answer);
    };
    const settle = () =>
      void ctx.approvals.get(projectId, pending.id).then(
        (now) => finish(now ?? pending),
        () => finish(pending),
      );
    const onClose = () => finish(undefined);
    res.on('close', onClose);
    const unsubscribe = ctx.approvals.subscribe(projectId, (change: ApprovalChange) => {
      if (
        change.kind === 'approval' &&
        change.approval.id === pending.id &&
        change.approval.status !== 'pending'
      )
        finish(change.approval);
    });
    // Until the deadline of the wait, or the approval's own, whichever comes first: reading
    // then answers an expired approval as expired even before the sweep writes it.
    const timer = setTimeout(settle, Math.max(0, Math.min(timeoutMs, pending.expiresAt - Date.now() + 1)));
    // Decided between the first read and the subscription: that change was not heard.
    void ctx.approvals.get(projectId, pending.id).then(
      (now) => now && now.status !== 'pending' && finish(now),
      () => undefined,
    );
  });
}

/**
 * `GET /api/approvals/stream`: Server-Sent Events of the key's project, `event: approval`
 * on every decision and expiry, `event: grant` on every grant made or revoked, a comment
 * every 15 s; ends (after `event: end`) when the key is revoked.
 */
async function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: ApprovalRouteContext,
): Promise<void> {
  // As in live-routes.ts: a client that leaves while its key is looked up must not keep a slot.
  let gone = false;
  const onGone = () => (gone = true);
  reply.raw.once('close', onGone);
  // Read before the key is checked: a key change from then on ends this stream.
  const keysVersion = ctx.accounts.keysVersion();
  const { projectId, credential } = await ctx.access.ingestCredential(request);
  reply.raw.off('close', onGone);
  if (gone || reply.raw.destroyed) {
    reply.hijack();
    return;
  }
  admit(reply, ctx, projectId, credential.owner);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\nretry: 1000\n\n');
  const release = ctx.connections.add(res, projectId, credential.owner);
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  const unsubscribe = ctx.approvals.subscribe(projectId, (change) => {
    if (res.writableLength > MAX_QUEUED_BYTES) {
      res.destroy();
      return;
    }
    res.write(
      change.kind === 'approval'
        ? `event: approval\ndata: ${JSON.stringify(approvalJson(change.approval))}\n\n`
        : `event: grant\ndata: ${JSON.stringify(grantJson(change.grant))}\n\n`,
    );
  });
  const unwatch = ctx.watch.watch(credential, keysVersion, (end) => {
    res.end(`event: end\ndata: ${JSON.stringify(end)}\n\n`);
  });
  const cleanup = () => {
    clearInterval(heartbeat);
    unsubscribe();
    unwatch();
    release();
  };
  res.on('close', cleanup);
  res.on('error', cleanup);
}

/** Takes a slot for a wait or stream, or answers 429/503 with Retry-After. */
function admit(reply: FastifyReply, ctx: ApprovalRouteContext, projectId: string, owner: string): void {
  try {
    ctx.connections.admit(projectId, owner);
  } catch (err) {
    if (err instanceof LiveLimitError) reply.header('retry-after', String(err.retryAfterSeconds));
    throw err;
  }
}
