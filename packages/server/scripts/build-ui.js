'use strict';
/**
 * Bundles the dashboard's front end (ui/) into public/: one script, one stylesheet and the
 * page that loads them. Runs as part of the package build; tests call buildUi() directly so
 * a browser test never depends on a stale bundle.
 *
 * @example
 * ```js
 * const { buildUi } = require('./scripts/build-ui');
 * await buildUi(); // writes public/index.html, public/app.js, public/app.css
 * ```
 */
const esbuild = require('esbuild');
const { mkdirSync, copyFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

/**
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<string>} the folder written
 */
async function buildUi(options = {}) {
  const outdir = options.outdir ?? join(root, 'public');
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: { app: join(root, 'ui', 'main.ts'), styles: join(root, 'ui', 'styles.css') },
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'ui', 'index.html'), join(outdir, 'index.html'));
  return outdir;
}

module.exports = { buildUi };

if (require.main === module) {
  buildUi().catch((error) => {
    console.error(`build-ui: ${error.message}`);
    process.exit(1);
  });
}
