'use strict';
/**
 * What guardTools (@agentsudo/ai-sdk) adds to a tool call of the Vercel AI SDK, in one run:
 * - a tool's `execute` called as the AI SDK calls it, guarded against the same tool unguarded:
 *   the guard's whole cost (the agent lookup, the scope check, the event, the agent session
 *   the call runs in), since the tool does nothing;
 * - one generateText step in which a mock model (the AI SDK's MockLanguageModelV4) calls that
 *   tool, guarded against unguarded: the same cost inside the AI SDK's own loop.
 * The cases of each pair are measured in turns (unguarded, guarded, unguarded, …) so a busy
 * machine slows both alike. `ai` 7 needs Node 22 or later; elsewhere this prints why it did not
 * run and exits 0.
 */
const { frameworkMissing } = require('../scripts/optional-frameworks');

const skipped = frameworkMissing('ai');
if (skipped !== undefined) {
  console.log(`\n## ai-sdk-guard\nnot run: ${skipped}.`);
  process.exit(0);
}

// `ai` ships ES modules only; Node 22.12 and later load them with require().
const { generateText, isStepCount, tool } = require('ai');
const { MockLanguageModelV4 } = require('ai/test');
const { z } = require('zod');
const core = require('../packages/core/dist');
const { guardTools } = require('../packages/ai-sdk/dist');
const { report } = require('./lib/harness');
const { inTurns } = require('./lib/turns');

core.configure({ transports: [] }); // no transport listening: what a quiet production app pays

const agent = new core.Agent({ name: 'BenchBot', scopes: ['read:files'] });

/** A tool set of one tool that does nothing, guarded or not. */
function tools(guarded) {
  const set = {
    noop: tool({ inputSchema: z.object({ path: z.string() }), execute: async () => 'ok' }),
  };
  return guarded ? guardTools(set, { agent, scopes: { noop: 'read:files' } }) : set;
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** A model whose every step calls noop once. */
const model = new MockLanguageModelV4({
  doGenerate: async () => ({
    content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'noop', input: '{"path":"/tmp/a"}' }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage,
    warnings: [],
  }),
});

const callOptions = { toolCallId: 'call-1', messages: [] };
/** One execute, as the AI SDK calls it. */
const executeOf = (set) => () => set.noop.execute({ path: '/tmp/a' }, callOptions);
/** One generateText step: the model calls noop, the tool runs, the run stops. */
const stepOf = (set) => async () => {
  await generateText({ model, tools: set, prompt: 'read /tmp/a', stopWhen: isStepCount(1) });
  // The mock keeps every call's prompt; forgotten at once, so no case pays for the other's garbage.
  model.doGenerateCalls.length = 0;
};

async function main() {
  const plain = tools(false);
  const guarded = tools(true);
  // The guarded tool must answer like the plain one, or the table would time a refusal.
  const [a, b] = await Promise.all([executeOf(plain)(), executeOf(guarded)()]);
  if (a !== 'ok' || b !== 'ok') throw new Error(`the tool answered ${String(a)} / ${String(b)}, not ok`);

  const execute = await inTurns(
    [
      { name: 'execute, unguarded', fn: executeOf(plain) },
      { name: 'execute, guarded', fn: executeOf(guarded) },
    ],
    { turns: 16, ms: 250, batch: 1000 },
  );
  const step = await inTurns(
    [
      { name: 'generateText step, unguarded', fn: stepOf(plain) },
      { name: 'generateText step, guarded', fn: stepOf(guarded) },
    ],
    { turns: 16, ms: 250, batch: 10 },
  );

  report('ai-sdk-guard', [...execute.rows, ...step.rows], {
    addedNsExecute: Math.round(execute.medianAddedNs),
    addedPercentExecute: execute.addedPercent,
    addedNsStep: Math.round(step.medianAddedNs),
    addedPercentStep: step.addedPercent,
    note: "a tool that does nothing, with zod input; the execute rows call the tool's execute as the AI SDK does, the step rows run one generateText step in which a MockLanguageModelV4 calls it; no transport listening to allowed checks; each pair measured in 16 alternating turns, what the guard added is the median over the turns of guarded minus unguarded; the first row is the baseline of the table, compare each guarded row with the unguarded row above it",
  });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
