import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { SqlDriver } from './driver';
import { toRecord } from './event-rows';
import { OUTCOME_SQL, REASON_SQL } from './outcome-sql';
import { fetchAll, fetchFirst, queryBuilder, reusableQuery } from './query-layer';
import type { EventCursor, EventFilter, EventPage, EventRecord } from './records';
import { SEARCH_COLUMNS } from './records';
import type { Database } from './schema';
import { escapeLike } from './sql-text';

/*
 * Written with the typed query layer throughout. A filter's conditions are added by
 * whereFilter; three stay sql fragments inside the builder's query: LIKE … ESCAPE (the
 * builder has no ESCAPE clause), and the outcome and reason conditions of outcome-sql.ts,
 * which stats and migrations share. Listings are built per call: a filter decides the
 * query's shape, and compiling costs 5–13 µs, 0.3–1.6% of an audit page on either
 * engine (bench/results/query-layer.json). One event by id has a fixed shape and is compiled
 * once (reusableQuery).
 */

/**
 * Reads stored events: a page of a listing, one event, an export stream, and what a
 * reconnecting live feed missed. Every read takes an {@link EventFilter}, whose values
 * always travel as parameters.
 *
 * @example
 * ```ts
 * const events = new EventQueries(driver);
 * const { events: page, next } = await events.list(projectId, { allowed: false }, { limit: 50 });
 * ```
 */
export class EventQueries {
  private readonly db: Kysely<Database>;
  private readonly byId: ReturnType<typeof eventByIdQuery>;

  constructor(private readonly driver: SqlDriver) {
    this.db = queryBuilder(driver.dialect);
    this.byId = eventByIdQuery(this.db);
  }

  /** A page of matching events, newest first, and the cursor of the next page. */
  async list(
    projectId: string,
    filter: EventFilter,
    page: { limit: number; before?: EventCursor },
  ): Promise<EventPage> {
    const { before } = page;
    const rows = await fetchAll(
      this.driver,
      whereFilter(this.db.selectFrom('events').selectAll(), projectId, filter)
        .$if(before !== undefined, (q) =>
          q.where((eb) =>
            eb.or([
              eb('ts', '<', before!.ts),
              eb.and([eb('ts', '=', before!.ts), eb('seq', '<', before!.seq)]),
            ]),
          ),
        )
        .orderBy('ts', 'desc')
        .orderBy('seq', 'desc')
        .limit(page.limit + 1),
    );
    const events = rows.slice(0, page.limit).map(toRecord);
    const last = events[events.length - 1];
    return rows.length > page.limit ? { events, next: { ts: last.ts, seq: last.seq! } } : { events };
  }

  /**
   * One event of a project by its id, or undefined when the project has no such event. On
   * PostgreSQL ids are unique per day (partitions.ts), so one id sent again on another day
   * is a second event: this answers the first stored.
   */
  async get(projectId: string, eventId: string): Promise<EventRecord | undefined> {
    const row = await fetchFirst(this.driver, this.byId(projectId, eventId));
    return row && toRecord(row);
  }

  /**
   * What a reconnecting live client missed: the newest `limit` matching events stored after
   * `afterSeq`, in the order they were stored. `skipped` says older ones did not fit.
   */
  async storedAfter(
    projectId: string,
    filter: EventFilter,
    afterSeq: number,
    limit: number,
  ): Promise<{ events: EventRecord[]; skipped: boolean }> {
    // Walks the primary key back from the newest row, so only rows stored after `afterSeq`
    // are read, however large the project.
    const rows = await fetchAll(
      this.driver,
      whereFilter(this.db.selectFrom('events').selectAll(), projectId, filter)
        .where('seq', '>', afterSeq)
        .orderBy('seq', 'desc')
        .limit(limit + 1),
    );
    return { events: rows.slice(0, limit).reverse().map(toRecord), skipped: rows.length > limit };
  }

  /** Every matching event, oldest first, read a page at a time (memory stays bounded). */
  async *stream(projectId: string, filter: EventFilter, pageSize = 1000): AsyncIterable<EventRecord> {
    const matching = whereFilter(this.db.selectFrom('events').selectAll(), projectId, filter);
    let after: EventCursor | undefined;
    for (;;) {
      const from = after;
      const rows = await fetchAll(
        this.driver,
        matching
          .$if(from !== undefined, (q) =>
            q.where((eb) =>
              eb.or([eb('ts', '>', from!.ts), eb.and([eb('ts', '=', from!.ts), eb('seq', '>', from!.seq)])]),
            ),
          )
          .orderBy('ts')
          .orderBy('seq')
          .limit(pageSize),
      );
      for (const row of rows) yield toRecord(row);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { ts: Number(last.ts), seq: Number(last.seq) };
    }
  }
}

/** The event of a project with an id, the first stored: ids repeat across PostgreSQL's day partitions. */
function eventByIdQuery(db: Kysely<Database>) {
  // The (project_id, event_id) unique index that makes deliveries idempotent finds it.
  return reusableQuery((projectId: string, eventId: string) =>
    db
      .selectFrom('events')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('event_id', '=', eventId)
      .orderBy('seq')
      .limit(1),
  );
}

/**
 * A query over `events` narrowed to a project and a filter; values always travel as
 * parameters, never as SQL text. The project comes first, as the indexes lead with it.
 * Every read of {@link EventQueries} starts from it (and bench/query-layer.bench.js).
 *
 * @example
 * ```ts
 * const page = whereFilter(db.selectFrom('events').selectAll(), projectId, { agent: 'SupportBot' })
 *   .orderBy('ts', 'desc')
 *   .limit(50);
 * ```
 */
export function whereFilter<O>(
  query: SelectQueryBuilder<Database, 'events', O>,
  projectId: string,
  f: EventFilter,
): SelectQueryBuilder<Database, 'events', O> {
  let q = query.where('project_id', '=', projectId);
  if (f.agent !== undefined) q = q.where('agent_name', '=', f.agent);
  if (f.scope !== undefined)
    q = f.scope.includes('*')
      ? q.where(likeEscaped(sql.ref('scope'), escapeLike(f.scope).replace(/\*/g, '%')))
      : q.where('scope', '=', f.scope);
  if (f.allowed !== undefined) q = q.where('allowed', '=', f.allowed ? 1 : 0);
  // Our own constants (outcome-sql.ts), shared with stats and migrations; never user input.
  if (f.outcome !== undefined) q = q.where(sql.raw<SqlBool>(OUTCOME_SQL[f.outcome]));
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.reason !== undefined) q = q.where(sql<SqlBool>`${sql.raw(REASON_SQL)} = ${f.reason}`);
  if (f.approvalId !== undefined) q = q.where('approval_id', '=', f.approvalId);
  if (f.functionName !== undefined) q = q.where('function_name', '=', f.functionName);
  if (f.sessionId !== undefined) q = q.where('session_id', '=', f.sessionId);
  if (f.search !== undefined) {
    const like = `%${escapeLike(f.search.toLowerCase())}%`;
    q = q.where((eb) => eb.or(SEARCH_COLUMNS.map((c) => likeEscaped(sql`LOWER(${sql.ref(c)})`, like))));
  }
  if (f.from !== undefined) q = q.where('ts', '>=', f.from);
  if (f.to !== undefined) q = q.where('ts', '<', f.to);
  return q;
}

/** `value LIKE pattern ESCAPE '\'`: the builder has no ESCAPE clause; `pattern` is a parameter. */
function likeEscaped(operand: RawBuilder<unknown>, pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${operand} LIKE ${pattern} ESCAPE '\\'`;
}
