import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, ConfigurationError, currentSession, type Session } from '@agentsudo/core';
import { bearerToken } from './bearer';
import type { AgentRegistry } from './registry';
import { sendJson, type UnauthorizedBody } from './responses';

/**
 * Finds the agent making a request; undefined (or null) means "nobody": the request is
 * answered 401. Receives the registry, so a custom scheme can still use its tokens.
 *
 * @example
 * ```ts
 * const byApiKey: AgentResolver = (req, registry) => registry.authenticate(String(req.headers['x-agent-key']));
 * ```
 */
export type AgentResolver = (
  req: IncomingMessage,
  registry: AgentRegistry,
) => Agent | undefined | null | Promise<Agent | undefined | null>;

/**
 * A connect-style middleware, as Express, Nest's middleware consumer and many node:http
 * frameworks call it.
 *
 * @example
 * ```ts
 * const mw: NodeMiddleware = (req, res, next) => next();
 * ```
 */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Who a request runs as: the agent and the session opened for it.
 *
 * @example
 * ```ts
 * const { agent, session } = requestIdentity(req)!;
 * ```
 */
export interface RequestIdentity {
  agent: Agent;
  session: Session;
}

/**
 * Why a request was not admitted as an agent: no `Authorization` header, a header of
 * another form, a token no agent holds, or a `resolveAgent` that named nobody.
 *
 * @example
 * ```ts
 * const reason: RefusalReason = 'unknown_token';
 * ```
 */
export type RefusalReason = 'missing_token' | 'malformed_token' | 'unknown_token' | 'no_agent';

/**
 * A request the session middleware saw but could not admit: why, and the sentence that
 * tells the client what to send instead.
 *
 * @example
 * ```ts
 * const refusal: Refusal = { reason: 'missing_token', message: 'Missing agent token: …' };
 * ```
 */
export interface Refusal {
  reason: RefusalReason;
  message: string;
}

/**
 * What the session middleware does with a request it cannot admit: answer 401 itself
 * (Express, node:http), or let it go on without a session and leave the answer to
 * whatever runs later and knows the route (Nest's guard, which reads `@Public()`).
 *
 * @example
 * ```ts
 * createSessionMiddleware(registry, undefined, { unrecognised: 'pass' });
 * ```
 */
export interface SessionMiddlewareOptions {
  unrecognised?: 'reply' | 'pass';
}

// Keyed by the node request object: Express's req is that object, Fastify's is `.raw`.
const identities = new WeakMap<object, RequestIdentity>();
const refusals = new WeakMap<object, Refusal>();
// The request a call without a session belongs to, so its refusal can say which route.
const unadmitted = new AsyncLocalStorage<IncomingMessage>();

/**
 * The request being handled without an agent (one the middleware let pass in `'pass'`
 * mode), or undefined.
 *
 * @example
 * ```ts
 * currentUnadmittedRequest()?.method; // 'GET'
 * ```
 */
export function currentUnadmittedRequest(): IncomingMessage | undefined {
  return unadmitted.getStore();
}

/**
 * Why the session middleware did not admit a request, or undefined when it admitted it
 * or never saw it (a route left out with `exclude`). Only set in `'pass'` mode.
 *
 * @example
 * ```ts
 * requestRefusal(req)?.reason; // 'unknown_token'
 * ```
 */
export function requestRefusal(req: object): Refusal | undefined {
  return refusals.get(req) ?? refusals.get((req as { raw?: object }).raw ?? req);
}

/**
 * The agent and session a request runs as, or undefined when the session middleware
 * did not admit it. Accepts Node's request, Express's, or Fastify's (through `.raw`).
 *
 * @example
 * ```ts
 * app.get('/me', (req, res) => res.json({ agent: requestIdentity(req)?.agent.name }));
 * ```
 */
export function requestIdentity(req: object): RequestIdentity | undefined {
  return identities.get(req) ?? identities.get((req as { raw?: object }).raw ?? req);
}

/**
 * The agent a request runs as (see {@link requestIdentity}).
 *
 * @example
 * ```ts
 * app.get('/me', (req, res) => res.json({ agent: agentOf(req)?.name }));
 * ```
 */
export function agentOf(req: object): Agent | undefined {
  return requestIdentity(req)?.agent;
}

/**
 * Throws when code that belongs to an admitted request runs outside its session: some
 * middleware between the session middleware and `where` resumed the request from a
 * foreign async context, and `@Sudo` would see no agent (or another one).
 *
 * @example
 * ```ts
 * assertSessionIntact(req, "requireScope('write:refunds')");
 * ```
 */
export function assertSessionIntact(req: object, where: string): void {
  const identity = requestIdentity(req);
  if (identity !== undefined && currentSession() !== identity.session) {
    throw new ConfigurationError(
      `${where}: the agent session of this request was lost before it ran. A middleware mounted after ` +
        "AgentSudo's session middleware resumed the request outside its async context; mount that " +
        'middleware before the session middleware.',
    );
  }
}

/**
 * The default resolver: `Authorization: Bearer <token>` looked up in the registry.
 *
 * @example
 * ```ts
 * agentSudoMiddleware({ agents, resolveAgent: (req, registry) => bearerAgent(req, registry) ?? guest });
 * ```
 */
export function bearerAgent(req: IncomingMessage, registry: AgentRegistry): Agent | undefined {
  return registry.authenticate(bearerToken(req));
}

/**
 * Builds the middleware that admits a request as an agent: it resolves the agent,
 * answers 401 when there is none, and otherwise runs the rest of the request (every
 * later middleware, the handler and all they await) inside `agent.startSession`. The
 * session ends when the response is finished or the connection closes, so `session_end`
 * marks the end of the request rather than the return of `next()`.
 *
 * @example
 * ```ts
 * const admitAgents = createSessionMiddleware(registry, undefined); // bearer tokens
 * http.createServer((req, res) => admitAgents(req, res, () => route(req, res)));
 * ```
 */
export function createSessionMiddleware(
  registry: AgentRegistry,
  resolveAgent: AgentResolver | undefined,
  options: SessionMiddlewareOptions = {},
): NodeMiddleware {
  const resolve = resolveAgent ?? bearerAgent;
  const passUnrecognised = options.unrecognised === 'pass';
  return (req, res, next) => {
    let resolved: ReturnType<AgentResolver>;
    try {
      resolved = resolve(req, registry);
    } catch (err) {
      next(err);
      return;
    }
    const admitAs = (agent: Agent | undefined | null) =>
      admit(agent, req, res, next, resolveAgent !== undefined, passUnrecognised);
    if (isPromiseLike(resolved)) {
      resolved.then(admitAs, next);
    } else {
      admitAs(resolved);
    }
  };
}

function admit(
  agent: Agent | undefined | null,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
  customResolver: boolean,
  passUnrecognised: boolean,
): void {
  if (agent === undefined || agent === null) {
    const refusal = refusalOf(req, customResolver);
    if (passUnrecognised) {
      refusals.set(req, refusal);
      unadmitted.run(req, next);
      return;
    }
    const body: UnauthorizedBody = { error: refusal.message };
    sendJson(res, 401, body, { 'WWW-Authenticate': WWW_AUTHENTICATE });
    return;
  }
  if (!(agent instanceof Agent)) {
    next(
      new ConfigurationError(
        `resolveAgent must return an Agent from @agentsudo/core or undefined, got ${typeof agent}.`,
      ),
    );
    return;
  }
  void agent.startSession((session) => {
    identities.set(req, { agent, session });
    const responseDone = new Promise<void>((resolve) => {
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
    });
    next();
    return responseDone;
  });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/**
 * The `WWW-Authenticate` challenge sent with every 401 (RFC 6750).
 *
 * @example
 * ```ts
 * res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
 * ```
 */
export const WWW_AUTHENTICATE = 'Bearer realm="agentsudo"';

function refusalOf(req: IncomingMessage, customResolver: boolean): Refusal {
  if (customResolver) {
    return {
      reason: 'no_agent',
      message:
        'No agent recognised for this request: resolveAgent returned none. Send the credentials it expects.',
    };
  }
  if (req.headers.authorization === undefined) {
    return {
      reason: 'missing_token',
      message: 'Missing agent token: send Authorization: Bearer <agent token>.',
    };
  }
  if (bearerToken(req) === undefined) {
    return {
      reason: 'malformed_token',
      message: 'Malformed Authorization header: use the form Authorization: Bearer <agent token>.',
    };
  }
  return {
    reason: 'unknown_token',
    message: 'Unknown agent token: no registered agent holds it. Check the token, or register the agent.',
  };
}
