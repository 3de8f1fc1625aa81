import { Agent, currentAgent, sudo } from '@agentsudo/core';
import { tool } from '@langchain/core/tools';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { z } from 'zod';

/** The scope of each support tool; `drop_table` has none on purpose. */
export const SCOPES = { get_customer: 'read:customers', process_refund: 'write:refunds' };

/** A service method the refund tool calls: checked as whichever agent is in session. */
const ledgerWrite = sudo('write:ledger', (orderId: string) => `ledger entry for ${orderId}`, {
  name: 'Ledger.write',
});

/** The support toolset, and the names of the tools that actually ran, in order. */
export function supportTools() {
  const ran: string[] = [];
  const getCustomer = tool(
    async ({ id }) => {
      ran.push('get_customer');
      return `Customer ${id}: Ada Lovelace (served as ${currentAgent()?.name})`;
    },
    { name: 'get_customer', description: 'Look up a customer', schema: z.object({ id: z.string() }) },
  );
  const processRefund = tool(
    async ({ orderId, amount }) => {
      ran.push('process_refund');
      return `Refunded ${amount} EUR on ${orderId}; ${ledgerWrite(orderId)}`;
    },
    {
      name: 'process_refund',
      description: 'Refund an order',
      schema: z.object({ orderId: z.string(), amount: z.number() }),
    },
  );
  const dropTable = tool(
    async () => {
      ran.push('drop_table');
      return 'dropped';
    },
    { name: 'drop_table', description: 'Drop a table', schema: z.object({}) },
  );
  return { ran, tools: [getCustomer, processRefund, dropTable] as const };
}

/** A model call of one tool. */
export const callOf = (name: string, args: Record<string, unknown>, id = `call_${name}`) => ({
  name,
  args,
  id,
});

/**
 * A LangChain agent (createAgent, the real loop and ToolNode) whose model is LangChain's own
 * fake: it makes the given tool calls on its first turn and answers with every message it
 * read on its second, so its final answer is what the model saw.
 */
export function scriptedAgent(tools: readonly unknown[], calls: ReturnType<typeof callOf>[]) {
  const model = new FakeToolCallingModel({ toolCalls: [calls, []] });
  return createAgent({ model, tools: tools as any, checkpointer: new MemorySaver() });
}

/** SupportBot may read customers and write the ledger; refunds need its missing scope. */
export const supportBot = () =>
  new Agent({ name: 'SupportBot', id: 'support-bot-1', scopes: ['read:customers', 'write:ledger'] });
