#!/usr/bin/env node
'use strict';
// The `agentsudo-mcp` command. This stub lives outside dist/ so that npm links the command
// when the package is installed, even in a workspace that is built only afterwards.
try {
  require.resolve('../dist/proxy-cli.js');
} catch {
  process.stderr.write('agentsudo-mcp: the package is not built yet; run `npm run build` first.\n');
  process.exit(1);
}
require('../dist/proxy-cli.js');
