import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Transform, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { Access } from '../auth/access';
import { DatabaseBusyError, WriterOverloadedError, type EventWriter } from '../storage/event-writer';
import { ApiError } from './api-error';
import { objectSchema, responses, types } from './response-schemas';
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES, WIRE_EVENT_SCHEMA, wireToRecord } from './wire-schema';

declare module 'fastify' {
  interface FastifyRequest {
    /** The project of the ingest key, set before the body is read. */
    ingestProjectId?: string;
  }
}

/**
 * Options of {@link ingestRoutes}.
 *
 * @example
 * ```ts
 * const options: IngestRoutesOptions = { writer: storage.writer, access };
 * ```
 */
export interface IngestRoutesOptions {
  writer: Pick<EventWriter, 'insert'>;
  access: Access;
}

/** What a stored batch answers: events stored, and events already stored before (by `event_id`). */
const STORED = objectSchema({ accepted: types.integer, duplicates: types.integer }, [
  'accepted',
  'duplicates',
]);

/**
 * `POST /api/events`: authenticate the key before reading the body, gunzip when asked
 * (the 1 MiB limit applies to the compressed and the decompressed size), validate every
 * event (none dated more than 24 hours ahead of the server's clock), store the batch in one transaction; 503 with Retry-After, the batch refused whole,
 * when the writer already holds its `maxPendingEvents` (`overloaded`) or the database stayed
 * locked by another connection (`database_busy`).
 *
 * @example
 * ```ts
 * await app.register(ingestRoutes, { writer: storage.writer, access });
 * ```
 */
export const ingestRoutes: FastifyPluginAsync<IngestRoutesOptions> = async (app, ctx) => {
  app.post(
    '/api/events',
    {
      bodyLimit: MAX_BODY_BYTES,
      schema: { body: { type: 'array', items: WIRE_EVENT_SCHEMA }, response: responses({ 200: STORED }) },
      onRequest: async (request) => {
        request.ingestProjectId = await ctx.access.ingestProject(request);
      },
      preParsing: async (request, _reply, payload) => decompress(request, payload),
      preValidation: async (request) => {
        const body = request.body;
        // One event object is accepted as a batch of one.
        if (body !== null && typeof body === 'object' && !Array.isArray(body)) request.body = [body];
        if (Array.isArray(request.body) && request.body.length > MAX_BATCH_EVENTS) {
          throw new ApiError(
            400,
            'batch_too_large',
            `A batch holds at most ${MAX_BATCH_EVENTS} events, got ${request.body.length}; send several batches.`,
            'events',
          );
        }
      },
    },
    async (request, reply) => {
      const nowUs = Date.now() * 1000;
      const records = (request.body as unknown[]).map((e, i) => wireToRecord(e, i, nowUs));
      try {
        return await ctx.writer.insert(request.ingestProjectId!, records);
      } catch (err) {
        // The database is behind or busy: none of the batch is stored, and the client may send
        // it again; refusing it now keeps memory bounded.
        if (!(err instanceof WriterOverloadedError || err instanceof DatabaseBusyError)) throw err;
        reply.header('retry-after', String(err.retryAfterSeconds));
        throw new ApiError(
          503,
          err instanceof DatabaseBusyError ? 'database_busy' : 'overloaded',
          err.message,
        );
      }
    },
  );
};

/** Wraps the body stream in gunzip/inflate; the raw byte count still feeds the limit. */
function decompress(request: FastifyRequest, payload: Readable): Readable {
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .toLowerCase()
    .trim();
  if (encoding === 'identity' || encoding === '') return payload;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new ApiError(
      415,
      'unsupported_encoding',
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; send gzip or no encoding.`,
    );
  }
  const inflater: Transform & { receivedEncodedLength?: number } =
    encoding === 'gzip' ? createGunzip() : createInflate();
  // Fastify compares this count with Content-Length and with the body limit.
  let encoded = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      encoded += chunk.length;
      inflater.receivedEncodedLength = encoded;
      done(null, chunk);
    },
  });
  payload.on('error', (err) => inflater.destroy(err));
  counter.on('error', (err) => inflater.destroy(err));
  inflater.on('error', (err: Error & { statusCode?: number }) => {
    // A truncated or corrupt stream is the client's fault.
    err.statusCode = 400;
  });
  payload.pipe(counter).pipe(inflater);
  return inflater;
}
