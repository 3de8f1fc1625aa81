#!/usr/bin/env node
// Builds this example with tsc where the AI SDK can run. `ai` 7 needs Node 22 or later and is
// an optional dependency npm skips on Node 20: there the example is not built (a line says
// why) and `npm run build` goes on, as the jest project of @agentsudo/ai-sdk is not run.
const { spawnSync } = require('node:child_process');

const major = Number(process.versions.node.split('.')[0]);
let missing;
if (major < 22) {
  missing = `Node ${process.versions.node} (the AI SDK needs Node 22 or later)`;
} else {
  try {
    require.resolve('ai/package.json', { paths: [__dirname] });
  } catch {
    missing = "the optional dependency 'ai' is not installed (run npm install on Node 22 or later)";
  }
}
if (missing !== undefined) {
  console.log(`examples/ai-sdk not built: ${missing}.`);
  process.exit(0);
}
const tsc = require.resolve('typescript/bin/tsc', { paths: [__dirname] });
const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
  cwd: __dirname,
  stdio: 'inherit',
});
process.exit(status ?? 1);
