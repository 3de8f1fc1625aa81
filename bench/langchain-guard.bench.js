'use strict';
/**
 * One tool call through guardTools against the same LangChain tool unguarded: `tool.invoke`
 * with a tool call, as LangChain's ToolNode makes it (schema parsing, callbacks, the
 * ToolMessage). The tool does nothing, so the table shows the guard's whole cost: the scope
 * check, the agent session the call runs in, the event. The cases are measured in turns
 * (guarded, unguarded, …) so a busy machine slows both alike.
 */
const { performance } = require('node:perf_hooks');
const core = require('../packages/core/dist');
const { guardTools } = require('../packages/langchain/dist');
const { tool } = require('@langchain/core/tools');
const { z } = require('zod');
const { report } = require('./lib/harness');

core.configure({ transports: [] }); // no transport listening: what a quiet production agent pays

const agent = new core.Agent({ name: 'BenchBot', scopes: ['read:files'] });
const noop = tool(async () => 'ok', {
  name: 'noop',
  description: 'does nothing',
  schema: z.object({ path: z.string() }),
});
const [guarded] = guardTools([noop], { agent, scopes: { noop: 'read:files' } });
const toolCall = { name: 'noop', args: { path: '/tmp/a' }, id: 'call_1', type: 'tool_call' };

/** Calls for about `ms`, one after another; returns [calls, ns]. */
async function run(t, ms) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) await t.invoke(toolCall);
    calls += 100;
  }
  return [calls, Number(process.hrtime.bigint() - start)];
}

async function main() {
  const cases = [
    { name: 'tool.invoke, unguarded', tool: noop },
    { name: 'tool.invoke, guarded', tool: guarded },
  ];
  for (const c of cases) await run(c.tool, 500);
  const totals = cases.map(() => ({ calls: 0, ns: 0 }));
  for (let turn = 0; turn < 8; turn++) {
    for (let i = 0; i < cases.length; i++) {
      const [calls, ns] = await run(cases[i].tool, 500);
      totals[i].calls += calls;
      totals[i].ns += ns;
    }
  }
  const rows = cases.map((c, i) => ({
    name: c.name,
    ops: totals[i].calls,
    nsPerOp: totals[i].ns / totals[i].calls,
    opsPerSec: (totals[i].calls * 1e9) / totals[i].ns,
  }));
  const added = +(((rows[1].nsPerOp - rows[0].nsPerOp) / rows[0].nsPerOp) * 100).toFixed(1);
  rows[1].extra = { 'added by guard': `${added}%` };
  report('langchain-guard', rows, {
    addedPercent: added,
    note: 'tool.invoke with a tool call of a LangChain tool that does nothing; no transport listening to allowed checks; cases measured in alternating turns; the first row is the baseline',
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
