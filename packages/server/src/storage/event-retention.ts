import type { Kysely } from 'kysely';
import type { Accounts } from './accounts';
import type { SqlDriver } from './driver';
import { EventPartitions } from './partitions';
import { execute, queryBuilder } from './query-layer';
import type { Database } from './schema';
import { HOUR_US } from './time';

/*
 * Written with the typed query layer throughout: each slice deletes the rows a subquery
 * picks, so one statement never holds the write lock for long. On PostgreSQL whole days
 * go first, by dropping their partitions (partitions.ts): the slices then find only the
 * rows of the day the cutoff falls in and of the default partition.
 */

/** Deletes run in slices so retention never holds the write lock for long. */
const DELETE_SLICE = 5000;

/**
 * Forgets old events with the rollups of the hours they fell in: on PostgreSQL it drops the
 * day partitions wholly before the cutoff, then deletes what is left before it project by
 * project, in slices (all of it on SQLite). The rollups keep their hourly cutoff. The
 * schedule (how many days, how often) is retention.ts's.
 *
 * @example
 * ```ts
 * const retention = new EventRetention(driver, accounts);
 * const deleted = await retention.deleteBefore(Math.floor(cutoffUs / HOUR_US));
 * ```
 */
export class EventRetention {
  private readonly db: Kysely<Database>;
  private readonly partitions?: EventPartitions;

  constructor(
    private readonly driver: SqlDriver,
    private readonly projects: Pick<Accounts, 'listProjects'>,
  ) {
    this.db = queryBuilder(driver.dialect);
    if (driver.dialect === 'postgres') this.partitions = new EventPartitions(driver);
  }

  /** Deletes events (and their rollups) from before `hour` (whole hours since the epoch). */
  async deleteBefore(hour: number): Promise<number> {
    const cutoff = hour * HOUR_US;
    let deleted = (await this.partitions?.dropBefore(cutoff)) ?? 0;
    for (const p of await this.projects.listProjects()) {
      for (;;) {
        const n = await this.driver.transaction(async (tx) => {
          const db = this.db;
          const removed = await execute(
            tx,
            db
              .deleteFrom('events')
              // Also lets PostgreSQL read only the partitions before the cutoff.
              .where('ts', '<', cutoff)
              .where('seq', 'in', (eb) =>
                eb
                  .selectFrom('events')
                  .select('seq')
                  .where('project_id', '=', p.id)
                  .where('ts', '<', cutoff)
                  .limit(DELETE_SLICE),
              ),
          );
          if (removed < DELETE_SLICE) {
            for (const table of [
              'hourly_agent_counts',
              'hourly_denied_scopes',
              'hourly_audit_scopes',
              'hourly_denied_reasons',
            ] as const)
              await execute(tx, db.deleteFrom(table).where('project_id', '=', p.id).where('hour', '<', hour));
            await execute(
              tx,
              db.deleteFrom('agent_scopes').where('project_id', '=', p.id).where('last_seen', '<', cutoff),
            );
          }
          return removed;
        });
        deleted += n;
        if (n < DELETE_SLICE) break;
      }
    }
    return deleted;
  }
}
