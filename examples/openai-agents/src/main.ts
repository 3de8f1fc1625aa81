/**
 * A support agent built with the OpenAI Agents SDK whose tools are guarded by AgentSudo.
 * Offline by default: a scripted model calls an allowed tool and a denied one. Set
 * AGENTSUDO_EXAMPLE_MODEL (e.g. "gpt-4.1-mini", with OPENAI_API_KEY set) to let a real
 * model choose.
 */
import { Agent } from 'agentsudo';
import { guardTools } from '@agentsudo/openai-agents';
import { Agent as SdkAgent, run, setTracingDisabled, tool } from '@openai/agents';
import { z } from 'zod';
import { chooseModel, RecordingModel } from './models';

const getCustomer = tool({
  name: 'getCustomer',
  description: 'Look up a customer by id',
  parameters: z.object({ id: z.string() }),
  execute: async ({ id }) => JSON.stringify({ id, name: 'John Doe' }),
});
const processRefund = tool({
  name: 'processRefund',
  description: 'Refund an order',
  parameters: z.object({ orderId: z.string(), amount: z.number() }),
  execute: async ({ orderId, amount }) => `Refunded ${amount} EUR on ${orderId}`,
});

const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
const tools = guardTools([getCustomer, processRefund], {
  agent: supportBot,
  scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' },
});

/** What the offline model does: call both tools, then answer after reading their results. */
const script = [
  [
    {
      type: 'function_call' as const,
      callId: 'call_1',
      name: 'getCustomer',
      arguments: JSON.stringify({ id: 'c-42' }),
      status: 'completed' as const,
    },
    {
      type: 'function_call' as const,
      callId: 'call_2',
      name: 'processRefund',
      arguments: JSON.stringify({ orderId: 'o-7', amount: 120 }),
      status: 'completed' as const,
    },
  ],
  [
    {
      type: 'message' as const,
      role: 'assistant' as const,
      status: 'completed' as const,
      content: [{ type: 'output_text' as const, text: 'I found John Doe, but I may not refund orders.' }],
    },
  ],
];

async function main() {
  const name = process.env.AGENTSUDO_EXAMPLE_MODEL;
  // Offline, nothing leaves the process: not even the SDK's traces.
  if (!name) setTracingDisabled(true);
  const model = new RecordingModel(await chooseModel(name, script));
  const agent = new SdkAgent({
    name: 'Support',
    instructions: 'You help customers with their orders. Use the tools.',
    model,
    tools,
  });
  const result = await run(agent, 'Customer c-42 wants a refund of 120 EUR on order o-7.');

  const calls = new Map(
    result.newItems.flatMap((item) =>
      item.type === 'tool_call_item' && item.rawItem.type === 'function_call'
        ? [[item.rawItem.callId, item.rawItem.name] as const]
        : [],
    ),
  );
  console.log('What the model saw from its tools:');
  for (const [callId, text] of model.toolResults()) {
    const mark = text.startsWith('Permission denied:') ? '❌' : '✅';
    console.log(`  ${mark} ${calls.get(callId) ?? callId}: ${text}`);
  }
  console.log(`The model answered: ${String(result.finalOutput)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
