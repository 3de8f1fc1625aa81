// Frameworks that npm installs only where their engines allow, as optional dependencies
// (@openai/agents needs Node 22; the repository also supports Node 20). What depends on one
// (a package's tests, an example) is left out where it is absent, with one line saying why.
const { join } = require('node:path');

/** Framework → the Node version it needs. */
const optionalFrameworks = { '@openai/agents': 'Node 22 or later' };

/**
 * Why `framework` cannot be used from the repository at `root`, as one sentence, or
 * undefined when it is installed.
 *
 * @example
 * const why = frameworkMissing('@openai/agents'); // "@openai/agents is not installed (it needs …)"
 */
function frameworkMissing(framework, root = join(__dirname, '..')) {
  try {
    require.resolve(framework, { paths: [root] });
    return undefined;
  } catch {
    const needs = optionalFrameworks[framework] ?? 'a newer Node';
    return `${framework} is not installed (it needs ${needs}; this is Node ${process.versions.node})`;
  }
}

module.exports = { optionalFrameworks, frameworkMissing };
