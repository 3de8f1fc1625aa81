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
  // The parser may stop reading early (a 413, a rejected request) and leave the socket
  // open: the deadline then belongs to nobody and must not fire later.
  timer.unref();
  payload.on('end', () => clearTimeout(timer));
  payload.on('close', () => clearTimeout(timer));
  out.on('close', () => clearTimeout(timer));
  request.raw.on('close', () => clearTimeout(timer));
  payload.on('error', (err) => out.destroy(err));
  payload.pipe(out);
  return out;
}
