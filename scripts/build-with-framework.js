// Builds an example that imports a framework npm installs only where its engines allow
// (see optional-frameworks.js): where the framework is absent, as on Node 20 for
// @openai/agents, the example is not built and one line says why, so `npm run build` goes on.
//
// Usage, from the example's folder: node ../../scripts/build-with-framework.js @openai/agents
const { spawnSync } = require('node:child_process');
const { basename, join } = require('node:path');
const { frameworkMissing } = require('./optional-frameworks');

const framework = process.argv[2];
if (framework === undefined) {
  console.error('build-with-framework: name the framework the example needs, e.g. @openai/agents.');
  process.exit(2);
}
const why = frameworkMissing(framework);
if (why !== undefined) {
  console.log(`build-with-framework: examples/${basename(process.cwd())} not built: ${why}.`);
  process.exit(0);
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [join(__dirname, '..')] });
const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
process.exit(status ?? 1);
