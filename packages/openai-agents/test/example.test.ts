import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runNode } from '../../agentsudo/test/dist';

const main = resolve(__dirname, '../../../examples/openai-agents/dist/main.js');

test('the OpenAI Agents example runs offline and prints the allowed result and the denial the model saw', async () => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before these tests.`);

  const { code, stdout, stderr } = await runNode([main], { ...process.env, AGENTSUDO_EXAMPLE_MODEL: '' });

  expect(code).toBe(0);
  expect(stdout).toContain('✅ getCustomer: {"id":"c-42","name":"John Doe"}');
  expect(stdout).toContain(
    "❌ processRefund: Permission denied: SupportBot lacks scope 'write:refunds' for tool 'processRefund'.",
  );
  expect(stdout).toContain('The model answered: I found John Doe, but I may not refund orders.');
  expect(stderr).toContain('agentsudo ❌ denied SupportBot → write:refunds (processRefund)');
});
