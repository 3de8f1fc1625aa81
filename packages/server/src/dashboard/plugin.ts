import type { FastifyInstance, FastifyReply } from 'fastify';
import { defaultPublicDir, loadDashboardAssets, type DashboardAsset } from './assets';

/**
 * Where the dashboard bundle lives. Default: the package's `public/` folder, written by
 * `npm run build`.
 *
 * @example
 * ```ts
 * await app.register(dashboardPlugin, { publicDir: '/srv/agentsudo/public' });
 * ```
 */
export interface DashboardOptions {
  publicDir?: string;
}

/**
 * The page may load only its own script and stylesheet and talk only to this server: a
 * dashboard that shows audit data must not be framable or pull code from elsewhere.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const MISSING_BUNDLE =
  'The dashboard bundle is missing: build it with `npm run build -w @agentsudo/server` ' +
  '(it writes packages/server/public/), then restart the server.';

function send(reply: FastifyReply, asset: DashboardAsset): FastifyReply {
  // No-cache rather than long caching: file names carry no content hash, and revalidating a
  // few KiB on a local dashboard costs nothing.
  return reply
    .headers(SECURITY_HEADERS)
    .header('cache-control', 'no-cache')
    .type(asset.contentType)
    .send(asset.body);
}

/**
 * Serves the web dashboard: the single page at `/` and its script and stylesheet. The page
 * reads everything else from the server's `/api/` routes with the login cookie.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(dashboardPlugin);
 * ```
 */
export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const assets = loadDashboardAssets(options.publicDir ?? defaultPublicDir());

  app.get('/', async (_request, reply) => {
    const page = assets.get('index.html');
    if (!page) return reply.code(503).type('text/plain; charset=utf-8').send(MISSING_BUNDLE);
    return send(reply, page);
  });

  for (const asset of assets.values()) {
    if (asset.name === 'index.html') continue;
    app.get(`/${asset.name}`, async (_request, reply) => send(reply, asset));
  }
}
