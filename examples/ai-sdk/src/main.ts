import { generateText, isStepCount, tool, type LanguageModel, type ModelMessage } from 'ai';
import { z } from 'zod';
import { Agent, Sudo } from 'agentsudo';
import { guardTools } from '@agentsudo/ai-sdk';
import { scriptedModel } from './scripted-model';

/** A service whose methods the model may call through tools; each still needs its own scope. */
class CustomerService {
  readonly refunds: string[] = [];

  @Sudo('read:customers')
  getCustomer(id: string): { id: string; name: string } {
    return { id, name: 'John Doe' };
  }

  @Sudo('write:refunds')
  processRefund(orderId: string, amount: number): string {
    this.refunds.push(`${amount} on ${orderId}`);
    return `refunded ${amount} on ${orderId}`;
  }
}

/**
 * The model: offline, a scripted one; with AGENTSUDO_EXAMPLE_MODEL=provider/model, that model
 * through the AI SDK's default provider, the Vercel AI Gateway (key in AI_GATEWAY_API_KEY).
 */
function chooseModel(): { model: LanguageModel; label: string } {
  const id = process.env.AGENTSUDO_EXAMPLE_MODEL;
  if (id === undefined || id === '') {
    return {
      model: scriptedModel(),
      label: 'scripted, offline (set AGENTSUDO_EXAMPLE_MODEL for a real one)',
    };
  }
  if (!/^[\w.-]+\/[\w.:-]+$/.test(id)) {
    fail(`AGENTSUDO_EXAMPLE_MODEL='${id}' is not a model id: write provider/model, e.g. openai/gpt-5-mini.`);
  }
  if (!process.env.AI_GATEWAY_API_KEY && !process.env.VERCEL_OIDC_TOKEN) {
    fail(`AGENTSUDO_EXAMPLE_MODEL='${id}' is called through the Vercel AI Gateway: set AI_GATEWAY_API_KEY.`);
  }
  return { model: id, label: `${id} through the Vercel AI Gateway` };
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** The tool results the model is given on its next step, as it reads them. */
function toolResultsRead(messages: ModelMessage[]): string[] {
  const lines: string[] = [];
  for (const message of messages) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue;
      const output = part.output;
      const read =
        output.type === 'text' ? output.value : JSON.stringify('value' in output ? output.value : output);
      lines.push(`${part.toolName} → the model read: ${read}`);
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const service = new CustomerService();
  const supportBot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });

  const tools = guardTools(
    {
      getCustomer: tool({
        description: 'Look up a customer by id',
        inputSchema: z.object({ id: z.string() }),
        execute: async ({ id }) => service.getCustomer(id),
      }),
      processRefund: tool({
        description: 'Refund an amount on an order',
        inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
        execute: async ({ orderId, amount }) => service.processRefund(orderId, amount),
      }),
    },
    { agent: supportBot, scopes: { getCustomer: 'read:customers', processRefund: 'write:refunds' } },
  );

  const { model, label } = chooseModel();
  const prompt = 'Look up customer c-42, then refund 120 on their order o-7.';
  console.log(`model: ${label}`);
  console.log(`prompt: ${prompt}`);
  const result = await generateText({ model, tools, prompt, stopWhen: isStepCount(3) });

  const read = toolResultsRead(result.responseMessages);
  console.log(read.length > 0 ? read.join('\n') : 'the model called no tool');
  console.log(`the model answered: ${result.text}`);
  console.log(`refunds made: ${service.refunds.length > 0 ? service.refunds.join(', ') : 'none'}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
