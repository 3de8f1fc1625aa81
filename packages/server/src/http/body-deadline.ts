import type { FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import { ApiError } from './api-error';

/**
 * A body must arrive within `ms`, or the request fails with 408: a client trickling (or
 * stalling) its body must not hold a connection and a parser forever.
 *
 * @example
 * ```ts
 * app.addHook('preParsing', async (request, reply, payload) => bodyDeadline(request, reply, payload, 30_000));
 * ```
 */
export function bodyDeadline(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: Readable,
  ms: number,
): Readable {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return payload;
  const out = new PassThrough();
  const timer = setTimeout(() => {
    payload.unpipe(out);
    payload.resume();
    // Only a reader still waiting for the body hears why it stopped; with no reader left
    // an 'error' event would have no listener and crash the process.
    const reading = out.listenerCount('error') > 0;
    out.destroy(
      reading
        ? new ApiError(
            408,
            'request_timeout',
            `The request body did not arrive within ${ms} ms; send it at once.`,
          )
        : undefined,
    );
  }, ms);
  // The parser may stop reading early (a 413 from Content-Length alone, a rejected request)
  // and answer while the socket stays open: once the response is done, the deadline belongs
  // to nobody and must not fire later.
  timer.unref();
  reply.raw.on('close', () => clearTimeout(timer));
  payload.on('end', () => clearTimeout(timer));
  payload.on('close', () => clearTimeout(timer));
  out.on('close', () => clearTimeout(timer));
  request.raw.on('close', () => clearTimeout(timer));
  payload.on('error', (err) => out.destroy(err));
  payload.pipe(out);
  return out;
}
