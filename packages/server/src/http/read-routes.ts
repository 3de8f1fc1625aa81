import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Access } from '../auth/access';
import type { EventRecord, Stats } from '../storage/records';
import type { Accounts } from '../storage/accounts';
import type { EventQueries } from '../storage/event-queries';
import type { EventStats } from '../storage/event-stats';
import { microsToIso } from '../storage/time';
import { ApiError } from './api-error';
import { CSV_COLUMNS, csvLine, eventCsvLine, toApiEvent } from './api-event';
import { projectAccess } from './project-access';
import { FILTER_PARAMETERS, paramsSchema, querySchema, text } from './parameter-schemas';
import {
  arrayOf,
  countsProperties,
  eventSchema,
  nullableString,
  objectSchema,
  projectSchema,
  responses,
  types,
} from './response-schemas';
import {
  encodeCursor,
  parseEventId,
  parseFilter,
  parsePage,
  parseStatsRange,
  queryParameterError,
} from './query';

type ProjectRequest = FastifyRequest<{ Params: { project: string }; Querystring: Record<string, unknown> }>;
type EventRequest = FastifyRequest<{
  Params: { project: string; eventId: string };
  Querystring: Record<string, unknown>;
}>;

/**
 * Options of {@link readRoutes}: the repositories it reads (only what it uses of them) and
 * who may call.
 *
 * @example
 * ```ts
 * const { accounts, events, stats } = storage;
 * const options: ReadRoutesOptions = { accounts, events, stats, access };
 * ```
 */
export interface ReadRoutesOptions {
  accounts: Pick<Accounts, 'listProjects'>;
  events: Pick<EventQueries, 'list' | 'get' | 'stream'>;
  stats: Pick<EventStats, 'summary' | 'agents'>;
  access: Access;
}

const PROJECTS = objectSchema({ projects: arrayOf(projectSchema) }, ['projects']);

/**
 * The read API under `/api/projects`: projects, events (filters, cursor pages, one by id), stats,
 * agents and streamed CSV / JSON Lines export. A session cookie or a read token is needed.
 *
 * @example
 * ```ts
 * const { accounts, events, stats } = storage;
 * await app.register(readRoutes, { accounts, events, stats, access });
 * ```
 */
export const readRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, ctx) => {
  app.get('/api/projects', { schema: { response: responses({ 200: PROJECTS }) } }, async (request) => {
    const reader = await ctx.access.reader(request);
    const projects = await ctx.accounts.listProjects();
    const visible = reader.kind === 'user' ? projects : projects.filter((p) => p.id === reader.projectId);
    return {
      projects: visible.map((p) => ({
        id: p.id,
        name: p.name,
        created_at: new Date(p.createdAt).toISOString(),
      })),
    };
  });
  await app.register(projectReadRoutes, ctx);
};

const PROJECT_PARAMS = paramsSchema({ project: text() });
const LIST_SCHEMA = {
  params: PROJECT_PARAMS,
  querystring: querySchema([...FILTER_PARAMETERS, 'limit', 'cursor']),
  response: responses({
    200: objectSchema({ events: arrayOf(eventSchema), next_cursor: nullableString }, [
      'events',
      'next_cursor',
    ]),
  }),
};
const EVENT_SCHEMA = {
  params: paramsSchema({ project: text(), eventId: text() }),
  response: responses({ 200: objectSchema({ event: eventSchema }, ['event']) }),
};
/** Denials by reason: every reason a key, so the object stays open to reasons added later. */
const BY_REASON = types.openObject;
const STATS_SCHEMA = {
  params: PROJECT_PARAMS,
  querystring: querySchema(['from', 'to', 'bucket']),
  response: responses({
    200: objectSchema(
      {
        from: types.string,
        to: types.string,
        bucket: types.string,
        totals: objectSchema({ ...countsProperties, denial_rate: types.number }),
        active_agents: types.integer,
        buckets: arrayOf(objectSchema({ start: types.string, ...countsProperties, reasons: BY_REASON })),
        top_denied_scopes: arrayOf(objectSchema({ scope: types.string, denied: types.integer })),
        top_audit_scopes: arrayOf(objectSchema({ scope: types.string, audit: types.integer })),
        reasons: BY_REASON,
        agents: arrayOf(
          objectSchema({ agent_name: types.string, ...countsProperties, denial_rate: types.number }),
        ),
      },
      [
        'from',
        'to',
        'bucket',
        'totals',
        'active_agents',
        'buckets',
        'top_denied_scopes',
        'top_audit_scopes',
        'reasons',
        'agents',
      ],
    ),
  }),
};
const AGENT_COUNTS = {
  first_seen: types.string,
  last_seen: types.string,
  events: types.integer,
  denied: types.integer,
  audit: types.integer,
};
const AGENTS_SCHEMA = {
  params: PROJECT_PARAMS,
  response: responses({
    200: objectSchema(
      {
        agents: arrayOf(
          objectSchema({
            agent_name: types.string,
            ...AGENT_COUNTS,
            scopes: arrayOf(objectSchema({ scope: types.string, ...AGENT_COUNTS })),
          }),
        ),
      },
      ['agents'],
    ),
  }),
};
/** A streamed answer: only its errors have a schema. */
const EXPORT_SCHEMA = {
  params: PROJECT_PARAMS,
  querystring: querySchema([...FILTER_PARAMETERS, 'format']),
  response: responses({}),
};

/** The routes of one project, each authorized by {@link projectAccess} before it runs. */
const projectReadRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, ctx) => {
  await app.register(projectAccess, { access: ctx.access });

  app.get('/api/projects/:project/events', { schema: LIST_SCHEMA }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    const page = await ctx.events.list(projectId, parseFilter(request.query), parsePage(request.query));
    return { events: page.events.map(toApiEvent), next_cursor: page.next ? encodeCursor(page.next) : null };
  });

  app.get(
    '/api/projects/:project/events/:eventId',
    { schema: EVENT_SCHEMA },
    async (request: EventRequest) => {
      const projectId = request.project.id;
      const eventId = parseEventId(request.params.eventId);
      const event = await ctx.events.get(projectId, eventId);
      if (!event)
        throw new ApiError(
          404,
          'event_not_found',
          `No event ${JSON.stringify(eventId)} in project ${JSON.stringify(projectId)}: it may have passed the retention period; list the project's events with GET /api/projects/${projectId}/events.`,
        );
      return { event: toApiEvent(event) };
    },
  );

  app.get('/api/projects/:project/stats', { schema: STATS_SCHEMA }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    return statsJson(await ctx.stats.summary(projectId, parseStatsRange(request.query)));
  });

  app.get('/api/projects/:project/agents', { schema: AGENTS_SCHEMA }, async (request: ProjectRequest) => {
    const projectId = request.project.id;
    const agents = await ctx.stats.agents(projectId);
    return {
      agents: agents.map((a) => ({
        agent_name: a.agentName,
        first_seen: microsToIso(a.firstSeen),
        last_seen: microsToIso(a.lastSeen),
        events: a.events,
        denied: a.denied,
        audit: a.audit,
        scopes: a.scopes.map((s) => ({
          scope: s.scope,
          first_seen: microsToIso(s.firstSeen),
          last_seen: microsToIso(s.lastSeen),
          events: s.events,
          denied: s.denied,
          audit: s.audit,
        })),
      })),
    };
  });

  app.get(
    '/api/projects/:project/export',
    { schema: EXPORT_SCHEMA },
    async (request: ProjectRequest, reply) => {
      const projectId = request.project.id;
      const format = request.query.format ?? 'jsonl';
      if (format !== 'csv' && format !== 'jsonl')
        throw queryParameterError('format', format, "use 'csv' or 'jsonl'");
      const filter = parseFilter(request.query);
      const events = ctx.events.stream(projectId, filter);
      const lines = format === 'csv' ? csvLines(events) : jsonLines(events);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      reply
        .header(
          'content-type',
          format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        )
        .header('content-disposition', `attachment; filename="agentsudo-${projectId}-${stamp}.${format}"`)
        .header('cache-control', 'no-store');
      // Readable.from pulls a page only when the client has taken the previous one.
      return reply.send(Readable.from(lines, { objectMode: false }));
    },
  );
};

async function* csvLines(events: AsyncIterable<EventRecord>): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS);
  for await (const e of events) yield eventCsvLine(e);
}

async function* jsonLines(events: AsyncIterable<EventRecord>): AsyncGenerator<string> {
  for await (const e of events) yield JSON.stringify(toApiEvent(e)) + '\n';
}

function statsJson(s: Stats): Record<string, unknown> {
  const rate = (denied: number, events: number) => (events ? denied / events : 0);
  return {
    from: microsToIso(s.from),
    to: microsToIso(s.to),
    bucket: s.bucket,
    totals: { ...s.totals, denial_rate: rate(s.totals.denied, s.totals.events) },
    active_agents: s.activeAgents,
    buckets: s.buckets.map((b) => ({
      start: microsToIso(b.start),
      events: b.events,
      allowed: b.allowed,
      denied: b.denied,
      audit: b.audit,
      reasons: b.reasons,
    })),
    top_denied_scopes: s.topDeniedScopes,
    top_audit_scopes: s.topAuditScopes,
    reasons: s.reasons,
    agents: s.agents.map((a) => ({
      agent_name: a.agentName,
      events: a.events,
      allowed: a.allowed,
      denied: a.denied,
      audit: a.audit,
      denial_rate: rate(a.denied, a.events),
    })),
  };
}
