import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Access, Credential, Reader } from '../auth/access';
import { requireCsrfToken } from '../auth/csrf';
import type { UserRecord } from '../storage/records';
import { ApiError } from './api-error';

/**
 * Who was let into a route under `/api/projects/:project`, as the project access hook found
 * them: the project of the URL, the reader and the credential they presented, and the
 * dashboard user when a login (not a read token) was presented.
 *
 * @example
 * ```ts
 * app.get('/api/projects/:project/agents', async (request) => stats.agents(request.project.id));
 * ```
 */
export interface ProjectGrant {
  /** The project of the URL, checked visible to the reader. */
  id: string;
  reader: Reader;
  credential: Credential;
  /** The signed-in user; undefined for a read token. */
  user: UserRecord | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by {@link projectAccess} before any handler under `/api/projects/:project` runs;
     * null on every other route.
     */
    project: ProjectGrant;
  }
  interface FastifyContextConfig {
    /**
     * Only a signed-in dashboard user may call this route (a read token gets 403
     * `login_required` with this message). Unset: any reader of the project may.
     */
    loginRequired?: string;
  }
}

/**
 * Options of {@link projectAccess}.
 *
 * @example
 * ```ts
 * const options: ProjectAccessOptions = { access: new Access(storage.accounts) };
 * ```
 */
export interface ProjectAccessOptions {
  access: Access;
}

/** A route parameter named `project`: `/api/projects/:project` and anything below it. */
const PROJECT_PARAM = /(^|\/):project(\/|$)/;

/**
 * Authorizes every route of the plugin it is registered in, once, before the body is read:
 * a request that carries the login cookie and changes something must carry its CSRF token;
 * the caller must be a reader (session cookie, or read token) of the project in the URL
 * (401 / 403 / 404 otherwise), and a signed-in user where the route's `config.loginRequired`
 * says so. The handler then finds who was let in as `request.project`.
 *
 * Wrapped with fastify-plugin on purpose: its hook must reach the routes of the plugin that
 * registers it (a route module), not stay in a context of its own. A route in that plugin
 * without a `:project` parameter is refused when it is registered, so the hook never guesses
 * a project.
 *
 * @example
 * ```ts
 * const approvalsOfProject: FastifyPluginAsync<{ access: Access }> = async (app, { access }) => {
 *   await app.register(projectAccess, { access });
 *   app.get('/api/projects/:project/grants', async (request) => grants(request.project.id));
 *   app.delete('/api/projects/:project/grants/:id', { config: { loginRequired: 'Revoking needs a login.' } }, revoke);
 * };
 * ```
 */
export const projectAccess = fp<ProjectAccessOptions>(
  async (app, { access }) => {
    app.addHook('onRoute', (route) => {
      if (!PROJECT_PARAM.test(route.url))
        throw new Error(
          `${String(route.method)} ${route.url} is registered where projectAccess authorizes every route, ` +
            'but it has no :project parameter: register it outside that plugin, with its own check.',
        );
    });
    const authorize: onRequestAsyncHookHandler = async (request: FastifyRequest) => {
      const projectId = (request.params as { project?: unknown }).project;
      requireCsrfToken(request);
      const { reader, credential } = await access.authenticate(request);
      const loginRequired = request.routeOptions.config.loginRequired;
      if (loginRequired !== undefined && reader.kind !== 'user')
        throw new ApiError(403, 'login_required', loginRequired);
      if (typeof projectId !== 'string')
        throw new ApiError(404, 'project_not_found', 'No project in the address; use /api/projects/<id>/….');
      await access.readableProject(reader, projectId);
      request.project = {
        id: projectId,
        reader,
        credential,
        user: reader.kind === 'user' ? reader.user : undefined,
      };
    };
    app.addHook('onRequest', authorize);
  },
  { name: 'agentsudo-project-access', fastify: '5.x' },
);

/**
 * Fails closed for a route with a `:project` parameter that no {@link projectAccess}
 * authorized: its handler does not run, the request answers 500, and the log names the
 * route. Registered once, first, on the whole server; it also declares `request.project`.
 *
 * @example
 * ```ts
 * await app.register(projectAccessRequired);
 * ```
 */
export const projectAccessRequired = fp(
  async (app) => {
    app.decorateRequest('project', null as unknown as ProjectGrant);
    app.addHook('preHandler', async (request) => {
      const params = request.params as { project?: unknown } | undefined;
      if (params?.project !== undefined && request.project === null)
        throw new ProjectAccessMissingError(request.routeOptions.method, request.routeOptions.url);
    });
  },
  { name: 'agentsudo-project-access-required', fastify: '5.x' },
);

/**
 * A route under `/api/projects/:project` was registered without {@link projectAccess}: a
 * bug of the server or of an `extend` plugin, answered 500 rather than served unchecked.
 *
 * @example
 * ```ts
 * new ProjectAccessMissingError('GET', '/api/projects/:project/notes').message;
 * ```
 */
export class ProjectAccessMissingError extends Error {
  constructor(
    readonly method: string | string[] | undefined,
    readonly url: string | undefined,
  ) {
    super(
      `${String(method)} ${url} has a :project parameter but no projectAccess authorized it; ` +
        'register the route in a plugin that registers projectAccess first.',
    );
    this.name = 'ProjectAccessMissingError';
  }
}
