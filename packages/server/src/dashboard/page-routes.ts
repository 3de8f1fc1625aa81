import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { loadDashboardAssets, type DashboardAsset } from './assets';

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
 * Options of {@link pageRoutes}.
 *
 * @example
 * ```ts
 * const options: PageRoutesOptions = { publicDir: defaultPublicDir() };
 * ```
 */
export interface PageRoutesOptions {
  /** The built bundle: index.html, app.js, styles.css. */
  publicDir: string;
}

/**
 * Serves the web dashboard: the single page at `/` and its script and stylesheet, from
 * the bundle in `publicDir`. The page reads everything else from `/api/` with the login
 * cookie.
 *
 * @example
 * ```ts
 * await app.register(pageRoutes, { publicDir: defaultPublicDir() });
 * ```
 */
export const pageRoutes: FastifyPluginAsync<PageRoutesOptions> = async (app, { publicDir }) => {
  const assets = loadDashboardAssets(publicDir);

  app.get('/', async (_request, reply) => {
    const page = assets.get('index.html');
    if (!page) return reply.code(503).type('text/plain; charset=utf-8').send(MISSING_BUNDLE);
    return send(reply, page);
  });

  for (const asset of assets.values()) {
    if (asset.name === 'index.html') continue;
    app.get(`/${asset.name}`, async (_request, reply) => send(reply, asset));
  }
};
