'use strict';
/**
 * A tools/call through guardMcpServer against the same call unguarded, with the SDK's real
 * Client: in process (InMemoryTransport) and over stdio (a child process, this file run with
 * --serve). The tool does nothing, so the table shows the guard's whole cost: the agent
 * lookup, the scope check, the event and the agent session the call runs in. The cases of
 * each transport are measured in turns (guarded, unguarded, guarded, …) so a busy machine
 * slows both alike. Target: the guard adds at most 5% to an in-process call. Over stdio a
 * third case puts the agentsudo-mcp proxy (a policy giving noop its scope) in front of the
 * unguarded server, as a user would in front of a server they did not write.
 */
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const core = require('../packages/core/dist');
const { guardMcpServer } = require('../packages/mcp/dist');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { InMemoryTransport } = require('@modelcontextprotocol/sdk/inMemory.js');
const { z } = require('zod');
const { report } = require('./lib/harness');

core.configure({ transports: [] }); // no transport listening: what a quiet production server pays

const agent = new core.Agent({ name: 'BenchBot', scopes: ['read:files'] });

/** A server with one tool that does nothing, guarded or not. */
function server(guarded) {
  const s = new McpServer({ name: 'bench', version: '1.0.0' });
  s.registerTool('noop', { inputSchema: { path: z.string() } }, async () => ({ content: [] }));
  if (guarded) guardMcpServer(s, { scopes: { noop: 'read:files' }, agent });
  return s;
}

if (process.argv[2] === '--serve') {
  server(process.argv[3] === 'guarded').connect(new StdioServerTransport());
  return;
}

async function inProcessClient(guarded) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server(guarded).connect(serverSide);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** The proxy's policy, in a folder removed at the end. */
const policyDir = mkdtempSync(join(tmpdir(), 'agentsudo-bench-mcp-'));
const policy = join(policyDir, 'mcp-policy.yaml');
writeFileSync(policy, 'agents:\n  BenchBot:\n    scopes: ["read:files"]\ntools:\n  noop: read:files\n');

async function stdioClient(guarded, proxied = false) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  let args = [join(__dirname, 'mcp-guard.bench.js'), '--serve', guarded ? 'guarded' : 'plain'];
  if (proxied) {
    const proxy = join(__dirname, '../packages/mcp/bin/agentsudo-mcp.js');
    args = [proxy, '--policy', policy, '--agent', 'BenchBot', '--', process.execPath, ...args];
  }
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args, cwd: join(__dirname, '..') }),
  );
  return client;
}

const call = (client) => client.callTool({ name: 'noop', arguments: { path: '/tmp/a' } });

/** Calls for about `ms`, one after another; returns [calls, ns]. */
async function run(client, ms) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) await call(client);
    calls += 100;
  }
  return [calls, Number(process.hrtime.bigint() - start)];
}

/** Measures the clients of `cases` in `turns` alternating turns of `ms` each, after a warm-up. */
async function inTurns(cases, { turns, ms }) {
  for (const c of cases) await run(c.client, 500);
  const totals = cases.map(() => ({ calls: 0, ns: 0 }));
  for (let t = 0; t < turns; t++) {
    for (let i = 0; i < cases.length; i++) {
      const [calls, ns] = await run(cases[i].client, ms);
      totals[i].calls += calls;
      totals[i].ns += ns;
    }
  }
  return cases.map((c, i) => ({
    name: c.name,
    ops: totals[i].calls,
    nsPerOp: totals[i].ns / totals[i].calls,
    opsPerSec: (totals[i].calls * 1e9) / totals[i].ns,
  }));
}

async function main() {
  const inProcess = await inTurns(
    [
      { name: 'in process, unguarded', client: await inProcessClient(false) },
      { name: 'in process, guarded', client: await inProcessClient(true) },
    ],
    { turns: 8, ms: 500 },
  );
  const stdio = [
    { name: 'stdio, unguarded', client: await stdioClient(false) },
    { name: 'stdio, guarded', client: await stdioClient(true) },
    { name: 'stdio, unguarded behind agentsudo-mcp', client: await stdioClient(false, true) },
  ];
  const overStdio = await inTurns(stdio, { turns: 6, ms: 500 });
  for (const { client } of stdio) await client.close();
  rmSync(policyDir, { recursive: true, force: true });

  const added = (rows, i = 1) => +(((rows[i].nsPerOp - rows[0].nsPerOp) / rows[0].nsPerOp) * 100).toFixed(1);
  const rows = [...inProcess, ...overStdio];
  inProcess[1].extra = { 'added by guard': `${added(inProcess)}%` };
  overStdio[1].extra = { 'added by guard': `${added(overStdio)}%` };
  overStdio[2].extra = { 'added by guard': `${added(overStdio, 2)}%` };
  report('mcp-guard', rows, {
    addedPercentInProcess: added(inProcess),
    addedPercentStdio: added(overStdio),
    addedPercentStdioProxy: added(overStdio, 2),
    targetAddedPercentInProcess: 5,
    note: 'a tools/call of a tool that does nothing, with the SDK Client; no transport listening to allowed checks; cases measured in alternating turns; the first row is the baseline of the table, compare each guarded row (and the proxy row) with the unguarded row of its transport',
  });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
