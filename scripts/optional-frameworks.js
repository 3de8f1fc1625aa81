// Agent frameworks whose current major needs Node 22 or later (their engines): npm installs them
// as optional dependencies, so on Node 20 they are absent. Their packages' tests and examples
// cannot run or type-check there; the jest run (jest.config.ts), the type check
// (scripts/typecheck.js), the examples' builds and the benchmarks leave them out with one line
// saying why, and run them wherever the framework is installed (CI's Node 24 leg).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const OPTIONAL_FRAMEWORKS = [
  { name: 'ai-sdk', module: 'ai', paths: ['packages/ai-sdk/test', 'examples/ai-sdk/src'] },
  {
    name: 'openai-agents',
    module: '@openai/agents',
    paths: ['packages/openai-agents/test', 'examples/openai-agents/src'],
  },
];

/** Why `framework` cannot be used here, or undefined when it can. */
function whyMissing(framework, root = join(__dirname, '..')) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) return `${framework.module} needs Node 22 or later; this is Node ${process.versions.node}`;
  // Looked for on disk: a package's exports may leave out both its package.json
  // (@openai/agents) and a require() entry (ai ships ES modules only).
  if (existsSync(join(root, 'node_modules', framework.module, 'package.json'))) return undefined;
  return `the optional dependency ${framework.module} is not installed (run npm install on Node 22 or later)`;
}

/** Why the framework npm knows as `module` (`ai`, `@openai/agents`) cannot be used here, or undefined. */
function frameworkMissing(module) {
  const framework = OPTIONAL_FRAMEWORKS.find((f) => f.module === module);
  if (framework === undefined) throw new Error(`optional-frameworks: no framework '${module}' in the list.`);
  return whyMissing(framework);
}

module.exports = { OPTIONAL_FRAMEWORKS, whyMissing, frameworkMissing };
