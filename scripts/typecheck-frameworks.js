// Type-checks the code that imports a framework npm installs only where its engines allow
// (@openai/agents needs Node 22: packages/openai-agents' tests, examples/openai-agents): on
// Node 20 the framework is absent, so that code is left out with one line saying why, as
// the jest run and the build do.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { frameworkMissing, optionalFrameworks } = require('./optional-frameworks');

const root = join(__dirname, '..');
const missing = Object.keys(optionalFrameworks)
  .map((name) => frameworkMissing(name, root))
  .filter((why) => why !== undefined);
if (missing.length > 0) {
  console.log(`typecheck-frameworks: skipped, ${missing.join('; ')}.`);
  process.exit(0);
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const { status } = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.frameworks.json')], {
  stdio: 'inherit',
});
process.exit(status ?? 1);
