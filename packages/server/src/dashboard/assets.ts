import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** The bundle the build writes (scripts/build-ui.js); nothing else in the folder is served. */
const ASSET_FILES = ['index.html', 'app.js', 'app.js.map', 'styles.css', 'styles.css.map'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * One file of the dashboard bundle, read once at startup.
 *
 * @example
 * ```ts
 * const asset: DashboardAsset = { name: 'app.js', body: Buffer.from(''), contentType: 'text/javascript' };
 * ```
 */
export interface DashboardAsset {
  name: string;
  body: Buffer;
  contentType: string;
}

/**
 * The folder the build writes the dashboard bundle to (`packages/server/public`), found
 * relative to this module both from `src/` (tests) and `dist/` (the installed package).
 *
 * @example
 * ```ts
 * loadDashboardAssets(defaultPublicDir());
 * ```
 */
export function defaultPublicDir(): string {
  return join(__dirname, '..', '..', 'public');
}

/**
 * Reads the bundle into memory: it is small (tens of KiB), and serving from memory keeps
 * the request path free of file-system access and of any path the client chooses.
 * Returns an empty map when the bundle has not been built.
 *
 * @example
 * ```ts
 * const assets = loadDashboardAssets('/srv/agentsudo/public');
 * assets.get('app.js')?.body.length;
 * ```
 */
export function loadDashboardAssets(publicDir: string): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const name of ASSET_FILES) {
    const path = join(publicDir, name);
    if (!existsSync(path)) continue;
    assets.set(name, { name, body: readFileSync(path), contentType: CONTENT_TYPES[extname(name)] });
  }
  return assets;
}
