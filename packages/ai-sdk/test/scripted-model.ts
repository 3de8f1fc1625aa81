import { MockLanguageModelV4 } from 'ai/test';
import { convertArrayToReadableStream } from 'ai/test';

/** One tool call the scripted model makes. */
export interface ScriptedCall {
  toolCallId: string;
  toolName: string;
  input: Record<string, unknown>;
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/**
 * A model that calls `calls` on its first step and answers `Done.` on the next, for
 * generateText and streamText alike; every prompt it was given stays in `doGenerateCalls`
 * and `doStreamCalls`.
 */
export function scriptedModel(calls: ScriptedCall[]): MockLanguageModelV4 {
  let step = 0;
  const next = () => step++;
  return new MockLanguageModelV4({
    doGenerate: async () =>
      next() === 0
        ? {
            content: calls.map((c) => ({ type: 'tool-call' as const, ...c, input: JSON.stringify(c.input) })),
            finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
            usage,
            warnings: [],
          }
        : {
            content: [{ type: 'text' as const, text: 'Done.' }],
            finishReason: { unified: 'stop' as const, raw: 'stop' },
            usage,
            warnings: [],
          },
    doStream: async () => ({
      stream: convertArrayToReadableStream<any>(
        next() === 0
          ? [
              ...calls.map((c) => ({ type: 'tool-call', ...c, input: JSON.stringify(c.input) })),
              { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage },
            ]
          : [
              { type: 'text-start', id: 't' },
              { type: 'text-delta', id: 't', delta: 'Done.' },
              { type: 'text-end', id: 't' },
              { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
            ],
      ),
    }),
  });
}

/** The tool results the model was given on its last call: tool name to output. */
export function toolResultsSeen(model: MockLanguageModelV4): Record<string, unknown> {
  const calls = model.doGenerateCalls.length > 0 ? model.doGenerateCalls : model.doStreamCalls;
  const prompt = calls[calls.length - 1].prompt;
  const seen: Record<string, unknown> = {};
  for (const message of prompt) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type === 'tool-result') seen[part.toolName] = part.output;
    }
  }
  return seen;
}
