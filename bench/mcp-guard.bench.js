'use strict';
/**
 * A tools/call through guardMcpServer against the same call unguarded, with the SDK's real
 * Client: in process (InMemoryTransport) and over stdio (a child process, this file run with
 * --serve). The tool does nothing, so the table shows the guard's whole cost: the agent
 * lookup, the scope check, the event and the agent session the call runs in. The cases of
 * each transport are measured in many short alternating rounds, and each case reports its
 * median round (and its best), so a busy shared machine neither slows one case more than the
 * other nor moves the figures with one slow round. Target: the guard adds at most 5% to an
 * in-process call. In process a second unguarded server is measured alike as a control: what
 * it "adds" is the run's own noise. Over stdio a third case puts the agentsudo-mcp proxy (a policy giving noop its scope) in front of the
 * unguarded server, as a user would in front of a server they did not write.
 */
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
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

/** In-process rounds: many short ones, so a collection or a busy moment moves few of them. */
const IN_PROCESS = { rounds: 60, calls: 500 };

const call = (client) => client.callTool({ name: 'noop', arguments: { path: '/tmp/a' } });

/** Makes `calls` calls one after another; returns ns per call. */
async function timed(client, calls) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call(client);
  return Number(process.hrtime.bigint() - start) / calls;
}

/**
 * Measures the clients of `cases` in `rounds` short rounds of `calls` calls each, after a
 * warm-up; every round runs each case once, starting each time with the next one, so load
 * from other processes falls on every case alike. A case's figure is its median round, and
 * its best round is kept beside it: on a busy machine one slow round moves neither.
 */
async function inRounds(cases, { rounds, calls }) {
  for (const c of cases) await timed(c.client, calls * 2);
  const perRound = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (r + k) % cases.length;
      perRound[i].push(await timed(cases[i].client, calls));
    }
  }
  return cases.map((c, i) => {
    const nsPerOp = median(perRound[i]);
    return {
      name: c.name,
      ops: rounds * calls,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      bestNsPerOp: Math.min(...perRound[i]),
      roundsNsPerOp: perRound[i].map(Math.round),
    };
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What `row` adds to `base`, in percent: of the medians, of the best rounds, and the median of the rounds' own ratios. */
function added(base, row) {
  const percent = (a, b) => +(((b - a) / a) * 100).toFixed(1);
  const paired = base.roundsNsPerOp.map((ns, r) => row.roundsNsPerOp[r] / ns - 1);
  return {
    median: percent(base.nsPerOp, row.nsPerOp),
    best: percent(base.bestNsPerOp, row.bestNsPerOp),
    pairedMedian: +(median(paired) * 100).toFixed(1),
    ns: Math.round(row.nsPerOp - base.nsPerOp),
  };
}

async function main() {
  // A second unguarded server is the control: what it "adds" to the first is the bench's own
  // noise in this run (two equal servers measured alike), the floor under the guard's figure.
  const inProcess = await inRounds(
    [
      { name: 'in process, unguarded', client: await inProcessClient(false) },
      { name: 'in process, guarded', client: await inProcessClient(true) },
      { name: 'in process, unguarded again (control)', client: await inProcessClient(false) },
    ],
    { rounds: IN_PROCESS.rounds, calls: IN_PROCESS.calls },
  );
  const stdio = [
    { name: 'stdio, unguarded', client: await stdioClient(false) },
    { name: 'stdio, guarded', client: await stdioClient(true) },
    { name: 'stdio, unguarded behind agentsudo-mcp', client: await stdioClient(false, true) },
  ];
  const overStdio = await inRounds(stdio, { rounds: 15, calls: 300 });
  for (const { client } of stdio) await client.close();
  rmSync(policyDir, { recursive: true, force: true });

  const guardInProcess = added(inProcess[0], inProcess[1]);
  const control = added(inProcess[0], inProcess[2]);
  const guardStdio = added(overStdio[0], overStdio[1]);
  const proxyStdio = added(overStdio[0], overStdio[2]);
  const column = (a) => `${a.ns} ns (${a.median}%; by round ${a.pairedMedian}%; best ${a.best}%)`;
  inProcess[1].extra = { 'added (median round)': column(guardInProcess) };
  inProcess[2].extra = { 'added (median round)': column(control) };
  overStdio[1].extra = { 'added (median round)': column(guardStdio) };
  overStdio[2].extra = { 'added (median round)': column(proxyStdio) };
  report('mcp-guard', [...inProcess, ...overStdio], {
    addedPercentInProcess: guardInProcess.median,
    addedPercentInProcessBest: guardInProcess.best,
    addedPercentInProcessPaired: guardInProcess.pairedMedian,
    addedNsInProcess: guardInProcess.ns,
    controlPercentInProcess: control.median,
    controlPercentInProcessPaired: control.pairedMedian,
    addedPercentStdio: guardStdio.median,
    addedPercentStdioBest: guardStdio.best,
    addedPercentStdioProxy: proxyStdio.median,
    addedPercentStdioProxyBest: proxyStdio.best,
    targetAddedPercentInProcess: 5,
    note: `a tools/call of a tool that does nothing, with the SDK Client; no transport listening to allowed checks; each transport's cases measured in alternating short rounds (${IN_PROCESS.rounds} of ${IN_PROCESS.calls} calls in process, 15 of 300 over stdio), each case's nsPerOp is its median round and bestNsPerOp its best; added percentages compare medians, best rounds, and (paired) each round's own ratio; compare each guarded row (and the proxy row) with the unguarded row of its transport; the control row is a second unguarded server measured alike: its figure is this run's noise`,
  });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
