#!/usr/bin/env bash
# Packs every publishable package (packages/*, not private) into one folder of tarballs, for
# installing AgentSudo in another project before it is on the npm registry:
#
#   scripts/pack-all.sh           builds, then writes ./packs/*.tgz
#   scripts/pack-all.sh DIR       the same into DIR
#
# It ends with the `npm install` lines to run in your project: one for the SDK (`agentsudo`)
# and one for the SDK with the server (`@agentsudo/server`). Each names every tarball the
# package needs, since its @agentsudo dependencies are not on the registry either.
set -euo pipefail
cd "${BASH_SOURCE[0]%/*}/.."

case "${1:-}" in
  -h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  -*) echo "pack-all: unknown option '$1'. usage: scripts/pack-all.sh [DIR]" >&2; exit 2 ;;
esac
out=$(mkdir -p "${1:-packs}" && cd "${1:-packs}" && pwd)

# The tarballs hold dist/: build first, so they never ship an old or missing build.
npm run build >/dev/null

workspaces=()
for manifest in packages/*/package.json; do
  node -e 'process.exit(require(process.argv[1]).private ? 1 : 0)' "$PWD/$manifest" \
    && workspaces+=(-w "${manifest%/package.json}")
done
npm pack --silent --pack-destination "$out" "${workspaces[@]}" >/dev/null

# The install lines: each package with its @agentsudo dependencies and peer dependencies,
# transitively, as the tarball file names npm pack wrote.
node - "$out" <<'EOF'
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const out = process.argv[2];
const manifests = new Map();
for (const dir of readdirSync('packages')) {
  try {
    const m = require(join(process.cwd(), 'packages', dir, 'package.json'));
    if (!m.private) manifests.set(m.name, m);
  } catch {}
}
const tarball = (m) => join(out, `${m.name.replace(/^@/, '').replace('/', '-')}-${m.version}.tgz`);
function closure(names) {
  const seen = new Set();
  const visit = (name) => {
    const m = manifests.get(name);
    if (!m || seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys({ ...m.dependencies, ...m.peerDependencies })) visit(dep);
  };
  names.forEach(visit);
  return [...seen].map((name) => tarball(manifests.get(name)));
}
console.log(`Packed ${manifests.size} packages into ${out}. In your project, install:`);
console.log(`  the SDK:             npm install ${closure(['agentsudo']).join(' ')}`);
console.log(`  the SDK and server:  npm install ${closure(['agentsudo', '@agentsudo/server']).join(' ')}`);
console.log('Other packages (@agentsudo/nestjs, @agentsudo/mcp, …): add their tarball the same way.');
EOF
