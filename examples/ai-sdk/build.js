#!/usr/bin/env node
// Builds this example with tsc where the AI SDK can run (scripts/optional-frameworks.js): on
// Node 20, where npm skips the optional `ai`, a line says why and `npm run build` goes on.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { OPTIONAL_FRAMEWORKS, whyMissing } = require('../../scripts/optional-frameworks');

const why = whyMissing(
  OPTIONAL_FRAMEWORKS.find((f) => f.name === 'ai-sdk'),
  join(__dirname, '..', '..'),
);
if (why !== undefined) {
  console.log(`examples/ai-sdk not built: ${why}.`);
  process.exit(0);
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [__dirname] });
const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
  cwd: __dirname,
  stdio: 'inherit',
});
process.exit(status ?? 1);
