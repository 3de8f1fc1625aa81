'use strict';
/**
 * One tool call through guardTools against the same OpenAI Agents SDK tool unguarded:
 * `tool.invoke(runContext, input, details)`, as the SDK's run loop calls a function tool
 * (JSON parsing, schema validation, the tool span). The tool does nothing, so the table shows
 * the guard's whole cost: the scope check, the agent session the call runs in, the event. The
 * cases are measured in turns (guarded, unguarded, …) so a busy machine slows both alike.
 * `@openai/agents` needs Node 22 or later: where it is absent this says so and exits 0.
 */
const { performance } = require('node:perf_hooks');
const { frameworkMissing } = require('../scripts/optional-frameworks');

const missing = frameworkMissing('@openai/agents');
if (missing !== undefined) {
  console.log(`openai-agents-guard: not measured, ${missing}.`);
  process.exit(0);
}

const core = require('../packages/core/dist');
const { guardTools } = require('../packages/openai-agents/dist');
const { RunContext, setTracingDisabled, tool } = require('@openai/agents');
const { z } = require('zod');
const { report } = require('./lib/harness');

core.configure({ transports: [] }); // no transport listening: what a quiet production agent pays
setTracingDisabled(true); // a run without tracing, as both cases run outside any trace

const agent = new core.Agent({ name: 'BenchBot', scopes: ['read:files'] });
const noop = tool({
  name: 'noop',
  description: 'does nothing',
  parameters: z.object({ path: z.string() }),
  execute: async () => 'ok',
});
const [guarded] = guardTools([noop], { agent, scopes: { noop: 'read:files' } });
const runContext = new RunContext({});
const input = JSON.stringify({ path: '/tmp/a' });
const details = {
  toolCall: { type: 'function_call', callId: 'call_1', name: 'noop', arguments: input, status: 'completed' },
};

/** Calls for about `ms`, one after another; returns [calls, ns]. */
async function run(t, ms) {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) await t.invoke(runContext, input, details);
    calls += 100;
  }
  return [calls, Number(process.hrtime.bigint() - start)];
}

async function main() {
  const cases = [
    { name: 'tool.invoke, unguarded', tool: noop },
    { name: 'tool.invoke, guarded', tool: guarded },
  ];
  if ((await guarded.invoke(runContext, input, details)) !== 'ok')
    throw new Error('the guarded call did not run');
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
  report('openai-agents-guard', rows, {
    addedPercent: added,
    note: 'tool.invoke(runContext, input, details) of an OpenAI Agents SDK function tool that does nothing; no transport listening to allowed checks; tracing disabled; cases measured in alternating turns; the first row is the baseline',
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
