import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Admin } from '../admin';
import type { Access } from '../auth/access';
import { InvalidInputError, ProjectExistsError, ProjectNotFoundError } from '../errors';
import { ApiError } from '../http/api-error';
import { projectAccess } from '../http/project-access';
import { paramsSchema, text } from '../http/parameter-schemas';
import { arrayOf, objectSchema, projectSchema, responses, types } from '../http/response-schemas';
import type { KeyRecord, ProjectRecord } from '../storage/records';
import type { Accounts } from '../storage/accounts';
import { MANAGING_NEEDS_LOGIN, requireUser } from './user-guard';

function projectJson(p: ProjectRecord) {
  return { id: p.id, name: p.name, created_at: new Date(p.createdAt).toISOString() };
}

/** A key as the dashboard lists it: never the secret or its hash, only the prefix. */
function keyJson(k: KeyRecord) {
  return {
    id: k.id,
    kind: k.kind,
    prefix: k.prefix,
    created_at: new Date(k.createdAt).toISOString(),
    ...(k.revokedAt ? { revoked_at: new Date(k.revokedAt).toISOString() } : {}),
  };
}

/** A key as {@link keyJson} answers it. */
const KEY = objectSchema(
  {
    id: types.string,
    kind: types.string,
    prefix: types.string,
    created_at: types.string,
    revoked_at: types.string,
  },
  ['id', 'kind', 'prefix', 'created_at'],
);
/** A new key or token: the secret itself, shown once. */
const NEW_KEY = objectSchema({ api_key: types.string }, ['api_key']);

/** The admin layer's errors as HTTP answers: bad names 400, taken names 409, unknown projects 404. */
async function asApiErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InvalidInputError) throw new ApiError(400, 'invalid_input', err.message, err.field);
    if (err instanceof ProjectExistsError) throw new ApiError(409, 'project_exists', err.message, 'name');
    if (err instanceof ProjectNotFoundError) throw new ApiError(404, 'project_not_found', err.message);
    throw err;
  }
}

/**
 * Options of {@link projectRoutes}.
 *
 * @example
 * ```ts
 * const options: ProjectRoutesOptions = { accounts: storage.accounts, admin, access };
 * ```
 */
export interface ProjectRoutesOptions {
  accounts: Pick<Accounts, 'listKeys' | 'revokeKey'>;
  admin: Admin;
  access: Access;
}

/**
 * Project and key management for signed-in dashboard users, the same operations as the
 * `agentsudo-server project` / `key` commands:
 * `POST /api/projects` (answers the new project and its first API key, shown once),
 * `GET /api/projects/:project/keys`, `POST /api/projects/:project/keys/rotate`,
 * `POST /api/projects/:project/read-tokens` and `DELETE /api/projects/:project/keys/:key`.
 *
 * @example
 * ```ts
 * await app.register(projectRoutes, { accounts: storage.accounts, admin, access });
 * ```
 */
export const projectRoutes: FastifyPluginAsync<ProjectRoutesOptions> = async (app, ctx) => {
  app.post(
    '/api/projects',
    {
      bodyLimit: 4096,
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: responses({
          201: objectSchema({ project: projectSchema, api_key: types.string }, ['project', 'api_key']),
        }),
      },
    },
    async (request, reply) => {
      await requireUser(ctx.access, request);
      const { name } = request.body as { name: string };
      const { project, apiKey } = await asApiErrors(() => ctx.admin.createProject(name.trim()));
      reply.code(201);
      return { project: projectJson(project), api_key: apiKey };
    },
  );
  await app.register(keyRoutes, ctx);
};

const PROJECT_PARAMS = paramsSchema({ project: text() });

/** The keys of one project: every route needs a signed-in user of it (see projectAccess). */
const keyRoutes: FastifyPluginAsync<ProjectRoutesOptions> = async (app, ctx) => {
  await app.register(projectAccess, { access: ctx.access });
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, loginRequired: MANAGING_NEEDS_LOGIN };
  });

  const keys = {
    params: PROJECT_PARAMS,
    response: responses({ 200: objectSchema({ keys: arrayOf(KEY) }, ['keys']) }),
  };
  app.get('/api/projects/:project/keys', { schema: keys }, async (request) => {
    const keys = await ctx.accounts.listKeys(request.project.id);
    return { keys: keys.sort((a, b) => b.createdAt - a.createdAt).map(keyJson) };
  });

  const rotated = {
    params: PROJECT_PARAMS,
    response: responses({
      200: objectSchema({ api_key: types.string, revoked: arrayOf(types.string) }, ['api_key', 'revoked']),
    }),
  };
  app.post('/api/projects/:project/keys/rotate', { schema: rotated }, async (request) => {
    const { apiKey, revoked } = await asApiErrors(() => ctx.admin.rotateKey(request.project.id));
    return { api_key: apiKey, revoked };
  });

  app.post(
    '/api/projects/:project/read-tokens',
    { schema: { params: PROJECT_PARAMS, response: responses({ 201: NEW_KEY }) } },
    async (request, reply) => {
      const { token } = await asApiErrors(() => ctx.admin.createReadToken(request.project.id));
      reply.code(201);
      return { api_key: token };
    },
  );

  app.delete(
    '/api/projects/:project/keys/:key',
    {
      schema: {
        params: paramsSchema({ project: text(), key: text() }),
        response: responses({ 200: objectSchema({ key: KEY }, ['key']) }),
      },
    },
    async (request: FastifyRequest<{ Params: { project: string; key: string } }>) => {
      const keys = await ctx.accounts.listKeys(request.project.id);
      const key = keys.find((k) => k.id === request.params.key);
      if (!key)
        throw new ApiError(
          404,
          'key_not_found',
          `No key ${JSON.stringify(request.params.key)} in this project.`,
        );
      if (!key.revokedAt) {
        const revokedAt = Date.now();
        await ctx.accounts.revokeKey(key.id, revokedAt);
        key.revokedAt = revokedAt;
      }
      return { key: keyJson(key) };
    },
  );
};
