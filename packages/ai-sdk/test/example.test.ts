import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runNode } from '../../agentsudo/test/dist';

/**
 * examples/ai-sdk as a user runs it: the built program in a child process, with the AI SDK's
 * real agent loop. This file belongs to the ai-sdk jest project, so it runs where `ai` resolves
 * (Node 22+), which is where the example's build script builds it.
 */
const EXAMPLE = resolve(__dirname, '../../../examples/ai-sdk/dist/main.js');

beforeAll(() => {
  if (!existsSync(EXAMPLE))
    throw new Error(
      `${EXAMPLE} is missing: run \`npm run build\` on Node 22 or later (npm test builds first).`,
    );
});

/** The environment of the test run without the variables that choose a real model. */
function offlineEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['AGENTSUDO_EXAMPLE_MODEL', 'AI_GATEWAY_API_KEY', 'VERCEL_OIDC_TOKEN']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

test('offline, the scripted model reads the customer and the refusal of the refund, and no refund is made', async () => {
  const { code, stdout, stderr } = await runNode([EXAMPLE], offlineEnv());

  expect({ code, stderr: stderr.replace(/^\S+ /gm, '') }).toEqual({
    code: 0,
    stderr: 'agentsudo ❌ denied SupportBot → write:refunds (processRefund)\n',
  });
  expect(stdout.split('\n')).toEqual([
    'model: scripted, offline (set AGENTSUDO_EXAMPLE_MODEL for a real one)',
    'prompt: Look up customer c-42, then refund 120 on their order o-7.',
    'getCustomer → the model read: {"id":"c-42","name":"John Doe"}',
    "processRefund → the model read: Permission denied: SupportBot lacks scope 'write:refunds' for tool 'processRefund'.",
    'the model answered: Customer c-42 is John Doe. I could not refund order o-7: I am not allowed to make refunds.',
    'refunds made: none',
    '',
  ]);
});

test('a real model named without a gateway key stops with what to set', async () => {
  const { code, stdout, stderr } = await runNode(
    [EXAMPLE],
    offlineEnv({ AGENTSUDO_EXAMPLE_MODEL: 'openai/gpt-5-mini' }),
  );

  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toBe(
    "AGENTSUDO_EXAMPLE_MODEL='openai/gpt-5-mini' is called through the Vercel AI Gateway: set AI_GATEWAY_API_KEY.\n",
  );
});

test('a model id that is not provider/model is refused with the form to use', async () => {
  const { code, stderr } = await runNode(
    [EXAMPLE],
    offlineEnv({ AGENTSUDO_EXAMPLE_MODEL: 'gpt 5', AI_GATEWAY_API_KEY: 'unused' }),
  );

  expect(code).toBe(1);
  expect(stderr).toBe(
    "AGENTSUDO_EXAMPLE_MODEL='gpt 5' is not a model id: write provider/model, e.g. openai/gpt-5-mini.\n",
  );
});
