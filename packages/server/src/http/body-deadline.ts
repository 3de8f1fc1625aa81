import type { FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import { ApiError } from './api-error';

/**
 * A body must arrive within `ms`, or the request fails with 408: a client trickling (or
 * stalling) its body must not hold a connection and a parser forever.
 *
 * @example
 * ```ts
 * app.addHook('preParsing', async (request, _reply, payload) => bodyDeadline(request, payload, 30_000));
 * ```
 */
export function bodyDeadline(request: FastifyRequest, payload: Readable, ms: number): Readable {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return payload;
  const out = new PassThrough();
  const timer = setTimeout(() => {
    payload.unpipe(out);
    payload.resume();
    out.destroy(
      new ApiError(
        408,
        'request_timeout',
        `The request body did not arrive within ${ms} ms; send it at once.`,
      ),
    );
  }, ms);
  payload.on('end', () => clearTimeout(timer));
  payload.on('close', () => clearTimeout(timer));
  payload.on('error', (err) => out.destroy(err));
  payload.pipe(out);
  return out;
}
