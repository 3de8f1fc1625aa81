/**
 * A support agent built with LangChain's createAgent whose tools are guarded by AgentSudo.
 * Offline by default: LangChain's fake tool-calling model calls an allowed tool and a denied
 * one. Set AGENTSUDO_EXAMPLE_MODEL (e.g. "openai:gpt-4o-mini", with that provider's package
 * installed and its API key set) to let a real model choose.
 */
import { Agent } from 'agentsudo';
import { guardTools } from '@agentsudo/langchain';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent, FakeToolCallingModel, initChatModel } from 'langchain';
import { z } from 'zod';

const getCustomer = tool(async ({ id }) => JSON.stringify({ id, name: 'John Doe' }), {
  name: 'get_customer',
  description: 'Look up a customer by id',
  schema: z.object({ id: z.string() }),
});
const processRefund = tool(async ({ orderId, amount }) => `Refunded ${amount} EUR on ${orderId}`, {
  name: 'process_refund',
  description: 'Refund an order',
  schema: z.object({ orderId: z.string(), amount: z.number() }),
});

const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
const tools = guardTools([getCustomer, processRefund], {
  agent: supportBot,
  scopes: { get_customer: 'read:customers', process_refund: 'write:refunds' },
});

async function model() {
  const name = process.env.AGENTSUDO_EXAMPLE_MODEL;
  if (name) return initChatModel(name);
  return new FakeToolCallingModel({
    toolCalls: [
      [
        { name: 'get_customer', args: { id: 'c-42' }, id: 'call_1' },
        { name: 'process_refund', args: { orderId: 'o-7', amount: 120 }, id: 'call_2' },
      ],
      [],
    ],
  });
}

async function main() {
  const agent = createAgent({ model: await model(), tools, checkpointer: new MemorySaver() });
  const { messages } = await agent.invoke(
    { messages: [{ role: 'user', content: 'Customer c-42 wants a refund of 120 EUR on order o-7.' }] },
    { configurable: { thread_id: 'example' } },
  );
  console.log('What the model saw from its tools:');
  for (const m of messages.filter((m) => ToolMessage.isInstance(m))) {
    console.log(`  ${m.status === 'error' ? '❌' : '✅'} ${m.name}: ${String(m.content)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
