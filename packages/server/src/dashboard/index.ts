import type { ServerExtension } from '../server';
import { activityRoutes } from './activity-routes';
import { defaultPublicDir } from './assets';
import { pageRoutes } from './page-routes';
import { projectRoutes } from './project-routes';

/**
 * Options of {@link dashboard}.
 *
 * @example
 * ```ts
 * const options: DashboardOptions = { publicDir: '/srv/agentsudo/public' };
 * ```
 */
export interface DashboardOptions {
  /** The built front end (index.html, app.js, styles.css). Default: the package's `public/`. */
  publicDir?: string;
}

/**
 * The web dashboard as a server extension: the page at `/`, project and key management
 * for signed-in users, and per-agent activity for the analytics sparklines.
 *
 * @example
 * ```ts
 * const server = await createServer({ db: './agentsudo.db', extend: dashboard() });
 * await server.listen(); // open http://127.0.0.1:4319/
 * ```
 */
export function dashboard(options: DashboardOptions = {}): ServerExtension {
  return (app, { storage, admin, access }) => {
    pageRoutes(app, options.publicDir ?? defaultPublicDir());
    projectRoutes(app, { accounts: storage.accounts, admin, access });
    activityRoutes(app, { stats: storage.stats, access });
  };
}
