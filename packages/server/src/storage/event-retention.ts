import type { Accounts } from './accounts';
import type { SqlDriver } from './driver';
import { HOUR_US } from './time';

/** Deletes run in slices so retention never holds the write lock for long. */
const DELETE_SLICE = 5000;

/**
 * Forgets old events, project by project, with the rollups of the hours they fell in. The
 * schedule (how many days, how often) is retention.ts's.
 *
 * @example
 * ```ts
 * const retention = new EventRetention(driver, accounts);
 * const deleted = await retention.deleteBefore(Math.floor(cutoffUs / HOUR_US));
 * ```
 */
export class EventRetention {
  constructor(
    private readonly driver: SqlDriver,
    private readonly projects: Pick<Accounts, 'listProjects'>,
  ) {}

  /** Deletes events (and their rollups) from before `hour` (whole hours since the epoch). */
  async deleteBefore(hour: number): Promise<number> {
    const cutoff = hour * HOUR_US;
    let deleted = 0;
    for (const p of await this.projects.listProjects()) {
      for (;;) {
        const n = await this.driver.transaction(async (tx) => {
          const removed = await tx.run(
            'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE project_id = ? AND ts < ? LIMIT ?)',
            [p.id, cutoff, DELETE_SLICE],
          );
          if (removed < DELETE_SLICE) {
            await tx.run('DELETE FROM hourly_agent_counts WHERE project_id = ? AND hour < ?', [p.id, hour]);
            await tx.run('DELETE FROM hourly_denied_scopes WHERE project_id = ? AND hour < ?', [p.id, hour]);
            await tx.run('DELETE FROM hourly_audit_scopes WHERE project_id = ? AND hour < ?', [p.id, hour]);
            await tx.run('DELETE FROM agent_scopes WHERE project_id = ? AND last_seen < ?', [p.id, cutoff]);
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
