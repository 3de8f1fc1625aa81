import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginCallback,
  type FastifyServerOptions,
} from 'fastify';
import { Admin } from './admin';
import { Access } from './auth/access';
import { CredentialWatch } from './auth/credential-watch';
import { LoginLimiter } from './auth/login-limiter';
import { approvalProjectRoutes } from './http/approval-project-routes';
import { approvalRoutes } from './http/approval-routes';
import { authRoutes } from './http/auth-routes';
import { bodyDeadline } from './http/body-deadline';
import { errorHandler, routerErrorHandler } from './http/error-handler';
import { MAX_PARAMETER_LENGTH } from './http/parameter-schemas';
import { ingestRoutes } from './http/ingest-routes';
import { LiveConnections, liveLimits } from './http/live-connections';
import { liveRoutes } from './http/live-routes';
import { projectAccessRequired } from './http/project-access';
import { readRoutes } from './http/read-routes';
import { objectSchema, responses, types } from './http/response-schemas';
import { RequestLog } from './http/request-log';
import { parseTrustProxy, warnOfUntrustedProxy, type TrustProxy } from './http/trust-proxy';
import { MAX_BODY_BYTES } from './http/wire-schema';
import { startIntegrations, type IntegrationOptions } from './integrations/integration-service';
import { startRetention } from './retention';
import { openStorage, type StorageOptions } from './storage/open';
import type { Storage } from './storage/storage';

/**
 * The port the server listens on by default, the cloud transport's default endpoint
 * (`http://127.0.0.1:4319`).
 *
 * @example
 * ```ts
 * DEFAULT_PORT; // 4319
 * ```
 */
export const DEFAULT_PORT = 4319;

/**
 * The options a plugin given as `extend` is registered with: the storage, the admin
 * functions and the request authenticator of the server.
 *
 * @example
 * ```ts
 * const hello: FastifyPluginAsync<ServerContext> = async (app, { storage, access }) => {
 *   app.get('/hello', async (request) => {
 *     await access.reader(request); // 401/403 like the read API
 *     return { projects: (await storage.accounts.listProjects()).length };
 *   });
 * };
 * await createServer({ extend: hello });
 * ```
 */
export interface ServerContext {
  storage: Storage;
  admin: Admin;
  access: Access;
}

/** `GET /api/health`: up, and on which engine. */
const HEALTH = objectSchema({ ok: types.boolean, storage: types.string }, ['ok', 'storage']);

/**
 * Options of {@link createServer}.
 *
 * @example
 * ```ts
 * const options: ServerOptions = { db: './agentsudo.db', port: 0, retentionDays: 30 };
 * ```
 */
export interface ServerOptions extends StorageOptions, IntegrationOptions {
  /** An opened storage to use instead of opening one from `db` / `databaseUrl`. */
  storage?: Storage;
  /** 4319 by default; 0 picks a free port. */
  port?: number;
  /** 127.0.0.1 by default. */
  host?: string;
  /** Delete events older than this many days (hourly job); keep forever when unset. */
  retentionDays?: number;
  retentionIntervalMs?: number;
  /**
   * Fastify logger options; `false` (the default for the programmatic API) is silent.
   * Requests are logged as one line each when answered (see `RequestLog`).
   */
  logger?: FastifyServerOptions['logger'];
  /**
   * Believe X-Forwarded-For/-Proto from these reverse proxies (for client addresses and
   * Secure cookies): a hop count or the proxies' addresses/CIDRs. Unset trusts none.
   */
  trustProxy?: TrustProxy;
  /** A request body not received completely within this time gets 408 (default 30 s). */
  requestTimeoutMs?: number;
  /** Most live-feed clients per instance (default 1000; then 503). */
  maxLiveClients?: number;
  /** Most live-feed clients of one project per instance (default 100; then 429). */
  maxLiveClientsPerProject?: number;
  /**
   * Most live-feed clients per instance of one credential: a read token, or a dashboard
   * user across their sessions (default 10; then 429).
   */
  maxLiveClientsPerCredential?: number;
  /** How often pending approvals past their deadline are written expired (default 2 s). */
  approvalSweepIntervalMs?: number;
  /**
   * A Fastify plugin registered after the API, with the {@link ServerContext} as its
   * options (the dashboard is one: `extend: dashboard()`). Its routes under
   * `/api/projects/:project` must register `projectAccess` first, or they answer 500.
   */
  extend?: FastifyPluginAsync<ServerContext> | FastifyPluginCallback<ServerContext>;
}

/**
 * A running (or ready to run) AgentSudo server.
 *
 * @example
 * ```ts
 * const server = await createServer({ db: './agentsudo.db' });
 * console.log(await server.listen());
 * ```
 */
export interface AgentSudoServer {
  readonly app: FastifyInstance;
  readonly storage: Storage;
  readonly admin: Admin;
  /** `http://host:port` once listening. */
  readonly url: string | undefined;
  /** Starts listening; resolves to the URL. */
  listen(): Promise<string>;
  /** Stops accepting, finishes in-flight requests, ends live feeds, closes the database. */
  close(): Promise<void>;
}

/**
 * Builds the server: storage (migrated), the ingest and read API under `/api`, login,
 * the live feed, retention. `GET /` stays free for the dashboard (see `extend`).
 *
 * @example
 * ```ts
 * const server = await createServer({ port: 0, db: '/tmp/agentsudo.db' });
 * const { apiKey } = await server.admin.createProject('demo');
 * const url = await server.listen();
 * // … later
 * await server.close();
 * ```
 */
export async function createServer(options: ServerOptions = {}): Promise<AgentSudoServer> {
  // Checked before anything is opened: a bad setting must not leave a database open.
  const trustProxy = options.trustProxy === undefined ? false : parseTrustProxy(options.trustProxy);
  const live = new LiveConnections(
    liveLimits({
      total: options.maxLiveClients,
      perProject: options.maxLiveClientsPerProject,
      perCredential: options.maxLiveClientsPerCredential,
    }),
  );
  // Approval waits and streams are capped apart from the dashboard's live feeds, with the
  // same limits; every ingest key of a project counts as one credential, so its share is
  // the project's.
  const approvalConnections = new LiveConnections({ ...live.limits, perCredential: live.limits.perProject });
  const storage = options.storage ?? (await openStorage(options));
  const ownsStorage = !options.storage;
  const access = new Access(storage.accounts);
  const admin = new Admin(storage);
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: options.logger ?? false,
    // One line per request, when it is answered, not Fastify's two.
    logController: new RequestLog(),
    trustProxy,
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout,
    // Types are checked, not coerced: "true" is not a boolean and 42 is not a string.
    ajv: { customOptions: { coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
    // Ingest stores event ids of up to 128 characters, so GET …/events/:eventId must route
    // them (the router's default is 100); a longer id reaches the route and gets its 400.
    routerOptions: { maxParamLength: MAX_PARAMETER_LENGTH },
    frameworkErrors: routerErrorHandler,
  });
  app.setErrorHandler(errorHandler);
  if (trustProxy === false) warnOfUntrustedProxy(app);
  app.addHook('preParsing', async (request, reply, payload) =>
    bodyDeadline(request, reply, payload, requestTimeout),
  );
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` });
  });
  // First, so that its check reaches every route registered after it.
  await app.register(projectAccessRequired);
  app.get('/api/health', { schema: { response: responses({ 200: HEALTH }) } }, async () => ({
    ok: true,
    storage: storage.dialect,
  }));
  const { accounts, events, stats } = storage;
  await app.register(ingestRoutes, { writer: storage.writer, access });
  await app.register(readRoutes, { accounts, events, stats, access });
  const watch = new CredentialWatch(access, accounts, {
    onError: (err) => app.log.warn({ err }, 'live feeds: credentials could not be re-checked'),
  });
  await app.register(liveRoutes, { accounts, events, feed: storage.live, access, live, watch });
  await app.register(authRoutes, { accounts, access, limiter: new LoginLimiter(storage.loginAttempts) });
  const { approvals } = storage;
  await app.register(approvalRoutes, {
    approvals,
    accounts,
    access,
    connections: approvalConnections,
    watch,
  });
  await app.register(approvalProjectRoutes, { approvals, access });
  const stopSweep = approvals.startExpirySweep({
    intervalMs: options.approvalSweepIntervalMs,
    onError: (err) => app.log.warn({ err }, 'approvals: the expiry sweep failed'),
  });
  const stopIntegrations = await startIntegrations(app, { storage, access, options });
  if (options.extend) await app.register(options.extend, { storage, admin, access });

  const stopRetention =
    options.retentionDays !== undefined
      ? startRetention(storage.retention, {
          days: options.retentionDays,
          intervalMs: options.retentionIntervalMs,
          onDeleted: (n) => n && app.log.info({ deleted: n }, 'retention: deleted old events'),
          onError: (err) => app.log.error({ err }, 'retention sweep failed'),
        })
      : async () => undefined;
  app.addHook('preClose', async () => {
    watch.stop();
    live.endAll();
    approvalConnections.endAll();
  });

  let url: string | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    storage,
    admin,
    get url() {
      return url;
    },
    async listen() {
      const address = await app.listen({
        port: options.port ?? DEFAULT_PORT,
        host: options.host ?? '127.0.0.1',
      });
      const bound = app.server.address();
      url =
        typeof bound === 'object' && bound
          ? `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
          : address;
      return url;
    },
    close() {
      closing ??= (async () => {
        await stopRetention();
        await stopSweep();
        await app.close();
        // After the last request: notifications its decisions queued get a moment to go out.
        await stopIntegrations(2000);
        if (ownsStorage) await storage.close();
      })();
      return closing;
    },
  };
}
