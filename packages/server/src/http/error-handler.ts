import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { MAX_PARAMETER_LENGTH, parameterError } from './parameter-schemas';
import { MAX_BODY_BYTES } from './wire-schema';

/**
 * Every error becomes `{ error, message, field? }`: ApiErrors as they are, schema
 * failures naming the field (`events[3].allowed`), Fastify's own 4xx with our wording;
 * 5xx details stay in the log.
 *
 * @example
 * ```ts
 * app.setErrorHandler(errorHandler);
 * ```
 */
export function errorHandler(err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) {
  const where = (err as FastifyError).validationContext;
  if ((where === 'querystring' || where === 'params') && (err as FastifyError).validation?.length)
    err = parameterError(
      where,
      where === 'params' ? request.params : request.query,
      (err as FastifyError).validation![0],
    );
  if (err instanceof ApiError) {
    // The rest of a timed-out body is still on the socket: do not reuse the connection.
    if (err.statusCode === 408) reply.header('connection', 'close');
    return reply.code(err.statusCode).send({
      ...err.details,
      error: err.code,
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
    });
  }
  const fe = err as FastifyError & {
    validation?: Array<{
      instancePath: string;
      keyword: string;
      message?: string;
      params: Record<string, unknown>;
    }>;
  };
  if (fe.validation?.length) {
    const v = fe.validation[0];
    const path = v.instancePath.split('/').slice(1);
    if (v.keyword === 'required') path.push(String(v.params.missingProperty));
    const root =
      fe.validationContext === 'body' && request.url.startsWith('/api/events')
        ? 'events'
        : (fe.validationContext ?? 'body');
    const field = path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), root);
    const detail =
      v.keyword === 'required'
        ? 'is required'
        : v.keyword === 'enum'
          ? `must be one of ${(v.params.allowedValues as string[]).join(', ')}`
          : v.keyword === 'pattern'
            ? 'must not contain NUL characters'
            : v.keyword === 'type' && path.length === 0
              ? `must be ${root === 'events' ? 'a JSON array of events or one event object' : `a JSON ${String(v.params.type)}`}`
              : (v.message ?? 'is invalid');
    return reply.code(400).send({ error: 'invalid_body', message: `${field} ${detail}.`, field });
  }
  const status = fe.statusCode && fe.statusCode >= 400 ? fe.statusCode : 500;
  if (status >= 500) {
    request.log.error({ err }, 'request failed');
    return reply
      .code(status)
      .send({ error: 'internal_error', message: 'The server failed to handle this request; it is logged.' });
  }
  const zlib =
    (fe.code === 'Z_BUF_ERROR' || fe.code === 'Z_DATA_ERROR') &&
    'The body is not valid gzip/deflate (truncated or corrupt).';
  const message =
    status === 413
      ? `The body is over the ${MAX_BODY_BYTES}-byte (1 MiB) limit (after decompression too); send smaller batches.`
      : zlib || fe.message;
  const code =
    status === 413
      ? 'body_too_large'
      : status === 415
        ? 'unsupported_media_type'
        : zlib
          ? 'invalid_encoding'
          : /JSON/.test(fe.code ?? '')
            ? 'invalid_json'
            : 'invalid_request';
  return reply.code(status).send({ error: code, message });
}

/**
 * The router's own refusals, before any route or hook runs, in the `{ error, message }` shape
 * of every other answer (and logged like them): a path parameter over
 * {@link MAX_PARAMETER_LENGTH} characters, or a path that is not valid percent-encoding. Both
 * answer 400 `invalid_path`; the path is not repeated back, since it may be kilobytes long.
 * Fastify's default would answer its own shape (414 or 400, the whole path echoed).
 *
 * @example
 * ```ts
 * Fastify({ frameworkErrors: routerErrorHandler });
 * ```
 */
export function routerErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `A path parameter is over ${MAX_PARAMETER_LENGTH} characters; address projects, events and approvals by their ids.`
      : err.code === 'FST_ERR_BAD_URL'
        ? 'The path is not valid percent-encoding (a % not followed by two hex digits of UTF-8); encode it with encodeURIComponent.'
        : undefined;
  return errorHandler(message ? new ApiError(400, 'invalid_path', message) : err, request, reply);
}
