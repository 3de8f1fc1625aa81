import type { SqlDriver } from './driver';
import { toRecord, type EventRow } from './event-rows';
import { OUTCOME_SQL, REASON_SQL } from './outcome-sql';
import type { EventCursor, EventFilter, EventPage, EventRecord } from './records';
import { SEARCH_COLUMNS } from './records';
import { escapeLike } from './sql-text';

/*
 * Hand-written SQL, the next to move to the typed query layer: the WHERE clause of a
 * filter is assembled by filterSql (values always as parameters); LIKE … ESCAPE and the
 * outcome conditions of outcome-sql.ts would stay sql fragments inside the builder's query.
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
  constructor(private readonly driver: SqlDriver) {}

  /** A page of matching events, newest first, and the cursor of the next page. */
  async list(
    projectId: string,
    filter: EventFilter,
    page: { limit: number; before?: EventCursor },
  ): Promise<EventPage> {
    const where = filterSql(projectId, filter);
    if (page.before) {
      where.sql += ' AND (ts < ? OR (ts = ? AND seq < ?))';
      where.params.push(page.before.ts, page.before.ts, page.before.seq);
    }
    const rows = await this.driver.all<EventRow>(
      `SELECT * FROM events WHERE ${where.sql} ORDER BY ts DESC, seq DESC LIMIT ?`,
      [...where.params, page.limit + 1],
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
    // The (project_id, event_id) unique index that makes deliveries idempotent finds it.
    const [row] = await this.driver.all<EventRow>(
      'SELECT * FROM events WHERE project_id = ? AND event_id = ? ORDER BY seq LIMIT 1',
      [projectId, eventId],
    );
    return row ? toRecord(row) : undefined;
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
    const where = filterSql(projectId, filter);
    // Walks the primary key back from the newest row, so only rows stored after `afterSeq`
    // are read, however large the project.
    const rows = await this.driver.all<EventRow>(
      `SELECT * FROM events WHERE ${where.sql} AND seq > ? ORDER BY seq DESC LIMIT ?`,
      [...where.params, afterSeq, limit + 1],
    );
    return { events: rows.slice(0, limit).reverse().map(toRecord), skipped: rows.length > limit };
  }

  /** Every matching event, oldest first, read a page at a time (memory stays bounded). */
  async *stream(projectId: string, filter: EventFilter, pageSize = 1000): AsyncIterable<EventRecord> {
    let after: EventCursor | undefined;
    for (;;) {
      const where = filterSql(projectId, filter);
      if (after) {
        where.sql += ' AND (ts > ? OR (ts = ? AND seq > ?))';
        where.params.push(after.ts, after.ts, after.seq);
      }
      const rows = await this.driver.all<EventRow>(
        `SELECT * FROM events WHERE ${where.sql} ORDER BY ts, seq LIMIT ?`,
        [...where.params, pageSize],
      );
      for (const row of rows) yield toRecord(row);
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { ts: Number(last.ts), seq: Number(last.seq) };
    }
  }
}

/** The WHERE clause of a filter; values always travel as parameters, never as SQL text. */
function filterSql(projectId: string, f: EventFilter): { sql: string; params: unknown[] } {
  const parts = ['project_id = ?'];
  const params: unknown[] = [projectId];
  const add = (sql: string, value: unknown) => {
    parts.push(sql);
    params.push(value);
  };
  if (f.agent !== undefined) add('agent_name = ?', f.agent);
  if (f.scope !== undefined) {
    if (f.scope.includes('*')) add("scope LIKE ? ESCAPE '\\'", escapeLike(f.scope).replace(/\*/g, '%'));
    else add('scope = ?', f.scope);
  }
  if (f.allowed !== undefined) add('allowed = ?', f.allowed ? 1 : 0);
  if (f.outcome !== undefined) parts.push(OUTCOME_SQL[f.outcome]);
  if (f.action !== undefined) add('action = ?', f.action);
  if (f.reason !== undefined) add(`${REASON_SQL} = ?`, f.reason);
  if (f.approvalId !== undefined) add('approval_id = ?', f.approvalId);
  if (f.functionName !== undefined) add('function_name = ?', f.functionName);
  if (f.sessionId !== undefined) add('session_id = ?', f.sessionId);
  if (f.search !== undefined) {
    const like = `%${escapeLike(f.search.toLowerCase())}%`;
    parts.push(`(${SEARCH_COLUMNS.map((c) => `LOWER(${c}) LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    params.push(...SEARCH_COLUMNS.map(() => like));
  }
  if (f.from !== undefined) add('ts >= ?', f.from);
  if (f.to !== undefined) add('ts < ?', f.to);
  return { sql: parts.join(' AND '), params };
}
