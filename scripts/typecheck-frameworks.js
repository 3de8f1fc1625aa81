// Type-checks the tests of packages whose framework npm installs only where its engines
// allow (@openai/agents needs Node 22): on Node 20 the framework is absent, so its tests
// are left out with one line saying why, as the jest run does.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const frameworks = ['@openai/agents'];
const missing = frameworks.filter((name) => {
  try {
    require.resolve(name, { paths: [root] });
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  console.log(
    `typecheck-frameworks: skipped, ${missing.join(', ')} not installed (needs Node 22 or later; this is Node ${process.versions.node}).`,
  );
  process.exit(0);
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const { status } = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.frameworks.json')], {
  stdio: 'inherit',
});
process.exit(status ?? 1);
