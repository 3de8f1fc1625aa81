'use strict';
/**
 * One tool call through guardTools against the same LangChain tool unguarded: `tool.invoke`
 * with a tool call, as LangChain's ToolNode makes it (schema parsing, callbacks, the
 * ToolMessage). The tool does nothing, so the table shows the guard's whole cost: the scope
 * check, the agent session the call runs in, the event. The cases are measured in turns
 * (guarded, unguarded, …) so a busy machine slows both alike.
 */
const core = require('../packages/core/dist');
const { guardTools } = require('../packages/langchain/dist');
const { tool } = require('@langchain/core/tools');
const { z } = require('zod');
const { report } = require('./lib/harness');
const { inTurns } = require('./lib/turns');

core.configure({ transports: [] }); // no transport listening: what a quiet production agent pays

const agent = new core.Agent({ name: 'BenchBot', scopes: ['read:files'] });
const noop = tool(async () => 'ok', {
  name: 'noop',
  description: 'does nothing',
  schema: z.object({ path: z.string() }),
});
const [guarded] = guardTools([noop], { agent, scopes: { noop: 'read:files' } });
const toolCall = { name: 'noop', args: { path: '/tmp/a' }, id: 'call_1', type: 'tool_call' };

async function main() {
  const pair = await inTurns(
    [
      { name: 'tool.invoke, unguarded', fn: () => noop.invoke(toolCall) },
      { name: 'tool.invoke, guarded', fn: () => guarded.invoke(toolCall) },
    ],
    { turns: 8, ms: 500, batch: 100 },
  );
  report('langchain-guard', pair.rows, {
    addedPercent: pair.addedPercent,
    addedNs: Math.round(pair.medianAddedNs),
    note: 'tool.invoke with a tool call of a LangChain tool that does nothing; no transport listening to allowed checks; cases measured in 8 alternating turns, what the guard added is the median over the turns; the first row is the baseline',
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
