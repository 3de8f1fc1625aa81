import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One JSON answer: what the handler (or error handler) gave, and what went on the wire. */
export interface ProbedAnswer {
  route: string;
  status: number;
  /** The handler's object as JSON.stringify writes it: what the route answered before it had a schema. */
  given: unknown;
  /** The body as sent, parsed. */
  sent: unknown;
}

/** A route as it was declared, and the response schemas it declared. */
export interface ProbedRoute {
  route: string;
  response?: Record<string, unknown>;
}

/**
 * What the probe saw: every route declared and every JSON answer sent, by every server
 * built while it is installed.
 */
export const probe = { routes: [] as ProbedRoute[], answers: [] as ProbedAnswer[] };

const given = new WeakMap<FastifyRequest, unknown>();
const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url}`;

/** Hooks on the root instance, before any plugin: every route inherits them. */
function instrument(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const response = (route.schema as { response?: Record<string, unknown> } | undefined)?.response;
      probe.routes.push({ route: `${method} ${route.url}`, response });
    }
  });
  // Runs with the object the handler returned, before the schema's serializer sees it.
  app.addHook('preSerialization', async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    given.set(request, JSON.parse(JSON.stringify(payload)));
    return payload;
  });
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (given.has(request) && typeof payload === 'string') {
      probe.answers.push({
        route: routeOf(request),
        status: reply.statusCode,
        given: given.get(request),
        sent: JSON.parse(payload),
      });
      given.delete(request);
    }
    return payload;
  });
}

/**
 * The `fastify` module with every instance it builds instrumented by {@link probe}: for
 * `jest.mock('fastify', …)`, so the server under test is built exactly as in production.
 *
 * @example
 * ```ts
 * jest.mock('fastify', () => require('./response-probe').probedFastify(jest.requireActual('fastify')));
 * ```
 */
export function probedFastify(real: (options?: unknown) => FastifyInstance): unknown {
  const probed = (options?: unknown) => {
    const app = real(options);
    instrument(app);
    return app;
  };
  return Object.assign(probed, real, { default: probed, fastify: probed });
}
