import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Access } from '../auth/access';
import { ApiError } from '../http/api-error';
import { projectAccess } from '../http/project-access';
import { paramsSchema, querySchema, text } from '../http/parameter-schemas';
import { arrayOf, objectSchema, responses, types } from '../http/response-schemas';
import { parseStatsRange } from '../http/query';
import { microsToIso } from '../storage/time';
import type { EventStats } from '../storage/event-stats';

/** Points in a sparkline: enough to show a shape, few enough to stay cheap. */
const DEFAULT_POINTS = 12;
const MAX_POINTS = 48;
/** Agents that get a sparkline (the most active ones); the rest of the table shows counts only. */
const MAX_AGENTS = 25;

/**
 * One agent's checks per slice of the range, oldest first.
 *
 * @example
 * ```ts
 * const a: AgentActivity = { agent_name: 'SupportBot', points: [{ start: '…', events: 3, denied: 1 }] };
 * ```
 */
export interface AgentActivity {
  agent_name: string;
  points: Array<{ start: string; events: number; denied: number }>;
}

/**
 * Splits `[from, to)` into `points` slices and asks the storage for each slice's per-agent
 * counts. Each slice is one stats query, which the server answers from its hourly rollups
 * (plus the events at the edges), so the cost is bounded by `points`, not by the number
 * of events.
 *
 * @example
 * ```ts
 * const agents = await agentActivity(storage.stats, projectId, { from, to }, 12);
 * ```
 */
export async function agentActivity(
  eventStats: Pick<EventStats, 'summary'>,
  projectId: string,
  range: { from: number; to: number },
  points: number,
): Promise<AgentActivity[]> {
  const step = Math.max(1, Math.ceil((range.to - range.from) / points));
  const slices: Array<{ from: number; to: number }> = [];
  for (let from = range.from; from < range.to; from += step)
    slices.push({ from, to: Math.min(range.to, from + step) });
  const stats = await Promise.all(
    slices.map((slice) => eventStats.summary(projectId, { ...slice, bucket: 'day' as const })),
  );
  const totals = new Map<string, number>();
  for (const s of stats)
    for (const a of s.agents) totals.set(a.agentName, (totals.get(a.agentName) ?? 0) + a.events);
  const names = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_AGENTS)
    .map(([name]) => name);
  return names.map((name) => ({
    agent_name: name,
    points: stats.map((s, i) => {
      const counts = s.agents.find((a) => a.agentName === name);
      return { start: microsToIso(slices[i].from), events: counts?.events ?? 0, denied: counts?.denied ?? 0 };
    }),
  }));
}

/** The range and each agent's {@link AgentActivity}. */
const ACTIVITY = objectSchema(
  {
    from: types.string,
    to: types.string,
    agents: arrayOf(
      objectSchema(
        {
          agent_name: types.string,
          points: arrayOf(
            objectSchema({ start: types.string, events: types.integer, denied: types.integer }, [
              'start',
              'events',
              'denied',
            ]),
          ),
        },
        ['agent_name', 'points'],
      ),
    ),
  },
  ['from', 'to', 'agents'],
);

/**
 * Options of {@link activityRoutes}.
 *
 * @example
 * ```ts
 * const options: ActivityRoutesOptions = { stats: storage.stats, access };
 * ```
 */
export interface ActivityRoutesOptions {
  stats: Pick<EventStats, 'summary'>;
  access: Access;
}

/**
 * `GET /api/projects/:project/agent-activity?from&to&points`: each agent's activity over
 * the range (default the last 24 hours, 12 points) for the analytics sparklines. A session
 * cookie or a read token of the project is needed.
 *
 * @example
 * ```ts
 * await app.register(activityRoutes, { stats: storage.stats, access });
 * ```
 */
export const activityRoutes: FastifyPluginAsync<ActivityRoutesOptions> = async (app, ctx) => {
  await app.register(projectAccess, { access: ctx.access });
  app.get(
    '/api/projects/:project/agent-activity',
    {
      schema: {
        params: paramsSchema({ project: text() }),
        querystring: querySchema(['from', 'to', 'points']),
        response: responses({ 200: ACTIVITY }),
      },
    },
    async (
      request: FastifyRequest<{ Params: { project: string }; Querystring: Record<string, unknown> }>,
    ) => {
      const { from, to } = parseStatsRange({ from: request.query.from, to: request.query.to });
      const rawPoints = request.query.points;
      const points = rawPoints === undefined ? DEFAULT_POINTS : Number(rawPoints);
      if (!Number.isInteger(points) || points < 2 || points > MAX_POINTS) {
        throw new ApiError(
          400,
          'invalid_query',
          `Query parameter points=${JSON.stringify(rawPoints)} is invalid: use a whole number from 2 to ${MAX_POINTS}.`,
          'points',
        );
      }
      return {
        from: microsToIso(from),
        to: microsToIso(to),
        agents: await agentActivity(ctx.stats, request.project.id, { from, to }, points),
      };
    },
  );
};
