import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../server';
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
 * The web dashboard as a Fastify plugin for `createServer`'s `extend`: the page at `/`,
 * project and key management for signed-in users, and per-agent activity for the analytics
 * sparklines.
 *
 * @example
 * ```ts
 * const server = await createServer({ db: './agentsudo.db', extend: dashboard() });
 * await server.listen(); // open http://127.0.0.1:4319/
 * ```
 */
export function dashboard(options: DashboardOptions = {}): FastifyPluginAsync<ServerContext> {
  return async (app, { storage, admin, access }) => {
    await app.register(pageRoutes, { publicDir: options.publicDir ?? defaultPublicDir() });
    await app.register(projectRoutes, { accounts: storage.accounts, admin, access });
    await app.register(activityRoutes, { stats: storage.stats, access });
  };
}
