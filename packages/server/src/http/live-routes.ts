import { compileScopes } from '@agentsudo/core';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import type { CredentialEnd, CredentialWatch } from '../auth/credential-watch';
import type { EventFilter, EventRecord } from '../storage/records';
import type { Accounts } from '../storage/accounts';
import type { EventQueries } from '../storage/event-queries';
import type { LiveEvents } from '../storage/live-fanout';
import { toApiEvent } from './api-event';
import { outcomeOf, reasonOf } from '../outcome';
import { LiveLimitError, type LiveConnections } from './live-connections';
import { projectAccess } from './project-access';
import { FILTER_PARAMETERS, paramsSchema, querySchema, text } from './parameter-schemas';
import { responses } from './response-schemas';
import { parseFilter, parseLastEventId } from './query';

/** A client this far behind (bytes queued in its socket) is cut off instead of buffered. */
const MAX_QUEUED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/**
 * Most missed events one reconnection replays (the newest); older ones are in the audit log.
 *
 * @example
 * ```ts
 * if (missed > MAX_REPLAY_EVENTS) console.log('read the gap from GET /api/projects/:project/events');
 * ```
 */
export const MAX_REPLAY_EVENTS = 1000;

/**
 * Options of {@link liveRoutes}.
 *
 * @example
 * ```ts
 * const options: LiveRoutesOptions = {
 *   accounts: storage.accounts,
 *   events: storage.events,
 *   feed: storage.live,
 *   access,
 *   live: new LiveConnections(DEFAULT_LIVE_LIMITS),
 *   watch,
 * };
 * ```
 */
export interface LiveRoutesOptions {
  accounts: Pick<Accounts, 'keysVersion'>;
  events: Pick<EventQueries, 'storedAfter'>;
  feed: LiveEvents;
  access: Access;
  live: LiveConnections;
  watch: CredentialWatch;
}

/**
 * `GET /api/projects/:project/live`: Server-Sent Events, one `data:` message per stored
 * event (JSON as in the events listing, `id:` = `seq`), filtered like the listing. A client
 * that reconnects with `Last-Event-ID` first gets what it missed (at most
 * {@link MAX_REPLAY_EVENTS}, newest kept, after a `skipped` message when more were missed).
 * Feeds are capped per credential, per project and in all (see `LiveLimits`), and a feed
 * ends, after an `end` message saying why, once its credential does (token revoked,
 * logout, login expired).
 *
 * @example
 * ```ts
 * await app.register(liveRoutes, {
 *   accounts: storage.accounts,
 *   events: storage.events,
 *   feed: storage.live,
 *   access,
 *   live: new LiveConnections(DEFAULT_LIVE_LIMITS),
 *   watch,
 * });
 * ```
 */
export const liveRoutes: FastifyPluginAsync<LiveRoutesOptions> = async (app, ctx) => {
  // Added before projectAccess, so it runs before the credential is looked up.
  app.addHook('onRequest', async (request, reply) => {
    // Read before the credential is checked: a key change from then on ends this feed.
    const keysVersion = ctx.accounts.keysVersion();
    // Watched before the first await: a client that leaves while its credential is looked
    // up (a database round trip) fires 'close' only once, before the cleanup below exists,
    // and would otherwise keep a slot, a heartbeat and a subscription for good.
    const start = { keysVersion, gone: false, onGone: () => (start.gone = true) };
    reply.raw.once('close', start.onGone);
    starts.set(request, start);
  });
  await app.register(projectAccess, { access: ctx.access });
  app.get(
    '/api/projects/:project/live',
    {
      schema: {
        params: paramsSchema({ project: text() }),
        querystring: querySchema([...FILTER_PARAMETERS, 'last_event_id']),
        // A stream: only its refusals are JSON.
        response: responses({}),
      },
    },
    async (
      request: FastifyRequest<{ Params: { project: string }; Querystring: Record<string, unknown> }>,
      reply,
    ) => {
      const start = starts.get(request)!;
      const { id: projectId, credential } = request.project;
      const filter = parseFilter(request.query);
      const matches = compileFilter(filter);
      const lastEventId = parseLastEventId(request.headers['last-event-id'], request.query);
      reply.raw.off('close', start.onGone);
      if (start.gone || reply.raw.destroyed) {
        // Nobody to answer: taking a slot now would never be given back.
        reply.hijack();
        return;
      }
      try {
        ctx.live.admit(projectId, credential.owner);
      } catch (err) {
        if (err instanceof LiveLimitError) reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      }
      // From here to add() nothing awaits, so no other feed can take the admitted slot.
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\nretry: 3000\n\n');
      const release = ctx.live.add(res, projectId, credential.owner);
      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      // While the missed events are read, new ones wait here. Those the replay already sent
      // are left out, then and later: on PostgreSQL the notice of a batch stored just before
      // the replay may arrive after it.
      let waiting: EventRecord[] | undefined = lastEventId === undefined ? undefined : [];
      let replayed: ReadonlySet<number> | undefined;
      const send = (events: readonly EventRecord[]) => {
        let chunk = '';
        for (const e of events) {
          if (!matches(e) || replayed?.has(e.seq!)) continue;
          chunk += `id: ${e.seq}\ndata: ${JSON.stringify(toApiEvent(e))}\n\n`;
        }
        if (!chunk) return;
        if (res.writableLength > MAX_QUEUED_BYTES) {
          res.destroy();
          return;
        }
        res.write(chunk);
      };
      const unsubscribe = ctx.feed.subscribe(projectId, (events) => {
        if (waiting) waiting.push(...events);
        else send(events);
      });
      const unwatch = ctx.watch.watch(credential, start.keysVersion, (end: CredentialEnd) => {
        // Said before closing, so the client knows not to retry with the same credential.
        res.end(`event: end\ndata: ${JSON.stringify(end)}\n\n`);
      });
      const cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
        unwatch();
        release();
      };
      res.on('close', cleanup);
      res.on('error', cleanup);
      if (lastEventId !== undefined) {
        try {
          const missed = await ctx.events.storedAfter(projectId, filter, lastEventId, MAX_REPLAY_EVENTS);
          if (missed.skipped) {
            const resumesAt = missed.events[0].seq!;
            res.write(
              `event: skipped\ndata: ${JSON.stringify({ after: lastEventId, before: resumesAt })}\n\n`,
            );
          }
          send(missed.events);
          replayed = new Set(missed.events.map((e) => e.seq!));
        } catch (err) {
          // The stream is open: the error cannot be an answer any more; the client reconnects.
          request.log.error({ err }, 'live feed replay failed');
          res.destroy();
          return;
        }
        const arrived = waiting!;
        waiting = undefined;
        send(arrived);
      }
    },
  );
};

/** What the feed noted before its credential was looked up (see the onRequest hook). */
const starts = new WeakMap<FastifyRequest, { keysVersion: number; gone: boolean; onGone: () => void }>();

/** The listing's filter as a predicate over new events (the scope pattern compiled once). */
function compileFilter(f: EventFilter): (e: EventRecord) => boolean {
  // The same wildcard rules as an agent's granted scopes.
  const scope = f.scope === undefined ? undefined : compileScopes([f.scope]);
  const needle = f.search?.toLowerCase();
  const searched: Array<(e: EventRecord) => string | undefined> = [
    (e) => e.agentName,
    (e) => e.scope,
    (e) => e.functionName,
    (e) => e.action,
    (e) => e.sessionId,
    (e) => e.eventId,
  ];
  return (e) =>
    (f.agent === undefined || e.agentName === f.agent) &&
    (f.allowed === undefined || e.allowed === f.allowed) &&
    (f.outcome === undefined || outcomeOf(e.action, e.allowed) === f.outcome) &&
    (f.action === undefined || e.action === f.action) &&
    (f.reason === undefined || reasonOf(e.action, e.allowed, e.reason) === f.reason) &&
    (f.approvalId === undefined || e.approvalId === f.approvalId) &&
    (f.functionName === undefined || e.functionName === f.functionName) &&
    (f.sessionId === undefined || e.sessionId === f.sessionId) &&
    (f.from === undefined || e.ts >= f.from) &&
    (f.to === undefined || e.ts < f.to) &&
    (scope === undefined || (e.scope !== undefined && scope.test(e.scope))) &&
    (needle === undefined || searched.some((get) => get(e)?.toLowerCase().includes(needle)));
}
