import type { LanguageModel } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/**
 * The offline stand-in for a real model, built on the AI SDK's own test double: on its first
 * step it asks for the customer and the refund (two tool calls in one step), on the next it
 * answers in text after reading the two tool results.
 *
 * @example
 * const { text } = await generateText({ model: scriptedModel(), tools, prompt });
 */
export function scriptedModel(): LanguageModel {
  let step = 0;
  return new MockLanguageModelV4({
    provider: 'scripted',
    modelId: 'support-agent',
    doGenerate: async () =>
      step++ === 0
        ? {
            content: [
              { type: 'tool-call', toolCallId: 'call-1', toolName: 'getCustomer', input: '{"id":"c-42"}' },
              {
                type: 'tool-call',
                toolCallId: 'call-2',
                toolName: 'processRefund',
                input: '{"orderId":"o-7","amount":120}',
              },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage,
            warnings: [],
          }
        : {
            content: [
              {
                type: 'text',
                text: 'Customer c-42 is John Doe. I could not refund order o-7: I am not allowed to make refunds.',
              },
            ],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage,
            warnings: [],
          },
  });
}
