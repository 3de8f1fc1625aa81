'use strict';
/**
 * One tool call through guardTools against the same OpenAI Agents SDK tool unguarded:
 * `tool.invoke(runContext, input, details)`, as the SDK's run loop calls a function tool
 * (JSON parsing, schema validation, the tool span). The tool does nothing, so the table shows
 * the guard's whole cost: the scope check, the agent session the call runs in, the event. The
 * cases are measured in turns (guarded, unguarded, …) so a busy machine slows both alike.
 * `@openai/agents` needs Node 22 or later: where it is absent this says so and exits 0.
 */
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
const { inTurns } = require('./lib/turns');

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

async function main() {
  if ((await guarded.invoke(runContext, input, details)) !== 'ok')
    throw new Error('the guarded call did not run');
  const pair = await inTurns(
    [
      { name: 'tool.invoke, unguarded', fn: () => noop.invoke(runContext, input, details) },
      { name: 'tool.invoke, guarded', fn: () => guarded.invoke(runContext, input, details) },
    ],
    { turns: 8, ms: 500, batch: 100 },
  );
  report('openai-agents-guard', pair.rows, {
    addedPercent: pair.addedPercent,
    addedNs: Math.round(pair.medianAddedNs),
    note: 'tool.invoke(runContext, input, details) of an OpenAI Agents SDK function tool that does nothing; no transport listening to allowed checks; tracing disabled; cases measured in 8 alternating turns, what the guard added is the median over the turns; the first row is the baseline',
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
