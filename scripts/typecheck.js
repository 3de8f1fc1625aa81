#!/usr/bin/env node
// Type-checks the whole repository (tsconfig.json) for `npm run lint`. The tests of
// @agentsudo/ai-sdk import `ai`, an optional dependency npm installs only on Node 22 and
// later; where it is missing they and examples/ai-sdk are left out (tsconfig.without-ai.json) and
// a line says so.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
let config = 'tsconfig.json';
try {
  require.resolve('ai/package.json', { paths: [root] });
} catch {
  config = 'tsconfig.without-ai.json';
  console.log(
    "typecheck: packages/ai-sdk/test and examples/ai-sdk left out: the optional dependency 'ai' is not installed (Node 22+).",
  );
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const { status } = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'inherit' });
process.exit(status ?? 1);
