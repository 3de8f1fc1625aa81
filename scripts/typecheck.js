#!/usr/bin/env node
// Type-checks the whole repository (tsconfig.json) for `npm run lint`, leaving out the tests
// and examples of an agent framework that is not installed here (scripts/optional-frameworks.js),
// with one line saying so.
const { spawnSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { OPTIONAL_FRAMEWORKS, whyMissing } = require('./optional-frameworks');

const root = join(__dirname, '..');
const leftOut = [];
for (const framework of OPTIONAL_FRAMEWORKS) {
  const why = whyMissing(framework, root);
  if (why === undefined) continue;
  console.log(`typecheck: ${framework.paths.join(' and ')} left out: ${why}.`);
  leftOut.push(...framework.paths.map((p) => join(root, p)));
}
let config = join(root, 'tsconfig.json');
if (leftOut.length > 0) {
  // Under the repository, so type packages (@types/node, @types/jest) resolve as they do for it.
  const dir = join(root, 'node_modules', '.cache', 'agentsudo-typecheck');
  mkdirSync(dir, { recursive: true });
  config = join(dir, 'tsconfig.json');
  writeFileSync(config, JSON.stringify({ extends: join(root, 'tsconfig.json'), exclude: leftOut }));
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const { status } = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'inherit' });
process.exit(status ?? 1);
