import { createEvent, onNoSessionCall, recordEvent } from '@agentsudo/core';
import type { IncomingMessage } from 'node:http';
import { currentUnadmittedRequest, type RefusalReason } from './request-session';

/**
 * The agent name of the event recorded for a request refused because it named no agent
 * (401). Names in angle brackets cannot be registered, so it is never a real agent's.
 *
 * @example
 * ```ts
 * events.filter((e) => e.agentName === UNAUTHENTICATED_AGENT_NAME);
 * ```
 */
export const UNAUTHENTICATED_AGENT_NAME = '<unauthenticated>';

/**
 * The agent name of the event recorded for a `@Sudo` call made with no session at all
 * (a timer, `onModuleInit`, a route that runs without an agent).
 *
 * @example
 * ```ts
 * events.filter((e) => e.agentName === NO_SESSION_AGENT_NAME);
 * ```
 */
export const NO_SESSION_AGENT_NAME = '<no session>';

/**
 * Where a refused call came from, as event metadata: the HTTP method, the route pattern
 * (`/customers/:id`, never the URL with its values) and the request id.
 *
 * @example
 * ```ts
 * const where: RequestOrigin = { method: 'GET', route: '/api/v1/customers/:id', requestId: 'r-42' };
 * ```
 */
export interface RequestOrigin {
  method: string;
  route?: string;
  requestId?: string;
}

/** Request ids are client input: keep a bounded amount of it. */
const MAX_REQUEST_ID_LENGTH = 128;

const origins = new WeakMap<object, RequestOrigin>();

/**
 * Notes where a request is going, once routed: Express's request (`route.path`) or
 * Fastify's (`routeOptions.url`, `id`). Read back by {@link originOf}.
 *
 * @example
 * ```ts
 * const origin = noteOrigin(context.switchToHttp().getRequest());
 * ```
 */
export function noteOrigin(request: object): RequestOrigin {
  const raw = ((request as { raw?: object }).raw ?? request) as IncomingMessage;
  const header = raw.headers['x-request-id'];
  const fastifyId = (request as { id?: unknown }).id;
  const id = typeof header === 'string' ? header : typeof fastifyId === 'string' ? fastifyId : undefined;
  const route =
    (request as { route?: { path?: unknown } }).route?.path ??
    (request as { routeOptions?: { url?: unknown } }).routeOptions?.url;
  const origin: RequestOrigin = { method: raw.method ?? 'GET' };
  if (typeof route === 'string') origin.route = route;
  if (id !== undefined) origin.requestId = id.slice(0, MAX_REQUEST_ID_LENGTH);
  origins.set(raw, origin);
  return origin;
}

/**
 * The origin noted for a (Node) request, if any.
 *
 * @example
 * ```ts
 * originOf(req)?.route; // '/customers/:id'
 * ```
 */
export function originOf(request: object): RequestOrigin | undefined {
  return origins.get(request);
}

/**
 * Records a request refused for naming no agent.
 *
 * @example
 * ```ts
 * recordUnauthenticated('CustomersController.get', origin, 'missing_token');
 * ```
 */
export function recordUnauthenticated(
  functionName: string,
  origin: RequestOrigin,
  reason: RefusalReason,
): void {
  recordEvent(
    createEvent({
      agentName: UNAUTHENTICATED_AGENT_NAME,
      action: 'permission_check',
      allowed: false,
      functionName,
      metadata: { ...origin, reason },
    }),
  );
}

let noSessionAudits = 0;
let stopListening: (() => void) | undefined;

/**
 * Records every `@Sudo` call refused for having no session, with the request it came
 * from when there is one, until the returned function is called. Several apps may ask:
 * one listener serves them all, so each call is recorded once.
 *
 * @example
 * ```ts
 * const stop = auditNoSessionCalls();
 * // … on shutdown:
 * stop();
 * ```
 */
export function auditNoSessionCalls(): () => void {
  if (noSessionAudits++ === 0) {
    stopListening = onNoSessionCall(({ scope, functionName }) => {
      const request = currentUnadmittedRequest();
      const origin = request && originOf(request);
      recordEvent(
        createEvent({
          agentName: NO_SESSION_AGENT_NAME,
          action: 'permission_check',
          allowed: false,
          scope,
          functionName,
          metadata: { ...(origin ?? {}), reason: 'no_session' },
        }),
      );
    });
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--noSessionAudits === 0) {
      stopListening?.();
      stopListening = undefined;
    }
  };
}
