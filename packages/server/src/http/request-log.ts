import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's request logging, one line per request instead of two ("incoming request",
 * "request completed"): when it is answered, with method, path, status, time taken and
 * client address, at `info` (`warn` for 4xx, `error` for 5xx, so a `warn` level keeps only
 * the problems). Never a header, a cookie, a body or the query string: keys, tokens and
 * passwords travel there. A route that is not found is the same one line (404).
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: { level: 'info' }, logController: new RequestLog() });
 * ```
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {
    // The line is written once the request is answered, with its outcome.
  }

  override routeNotFound(): void {
    // requestCompleted logs the 404.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const statusCode = reply.statusCode;
    const level = error || statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
    request.log[level](
      {
        method: request.method,
        url: request.url.split('?')[0],
        statusCode,
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
        ...(error ? { err: error } : {}),
      },
      'request completed',
    );
  }
}
