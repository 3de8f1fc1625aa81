import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { readAuditLog } from 'agentsudo';
import { runNode } from './dist';
import { testTempDir } from '../../../test-support/temp-dir';

const examples = resolve(__dirname, '../../../examples');
const built = (name: string, output = 'dist') => {
  const main = join(examples, name, output, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before these tests.`);
  return main;
};

const dir = testTempDir('agentsudo-examples-');

// The quickstart is built twice, once per TypeScript decorator setting the README shows.
test.each([
  ['experimentalDecorators (tsconfig.json)', 'dist', '__decorate('],
  ['standard decorators, target ES2022 (tsconfig.standard.json)', 'dist/standard', '__esDecorate('],
])('the quickstart built with %s shows one allowed and one denied call', async (_setting, output, helper) => {
  const main = built('quickstart', output);
  expect(readFileSync(main, 'utf8')).toContain(helper); // compiled in that decorator mode
  const { code, stdout, stderr } = await runNode([main]);
  expect(code).toBe(0);
  expect(stdout).toContain('✅ allowed: getCustomer returned {"id":"c-42","name":"John Doe"}');
  expect(stdout).toContain("❌ denied: Agent 'SupportBot' lacks scope 'write:refunds'");
  expect(stderr).toContain('agentsudo ❌ denied SupportBot → write:refunds (CustomerService.processRefund)');
});

test('the local audit log example writes the file and prints it back through agentsudo logs', async () => {
  const file = join(dir, 'audit', 'agentsudo.jsonl');
  const { code, stdout } = await runNode([built('local-audit-log'), file]);
  expect(code).toBe(0);
  expect(stdout).toContain(`2 refusals written to ${file}`);
  expect(stdout).toMatch(/SupportBot {2}denied {9}write:refunds {3}SupportTools\.processRefund/);
  expect(stdout).toMatch(/BillingBot {2}allowed {8}write:refunds {3}SupportTools\.processRefund/);
  expect(stdout).toContain('8 events, 2 refused');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(await readAuditLog(file)).toHaveLength(8);
});

test('the cloud example sends its allowed and denied checks to the dashboard with the API key', async () => {
  const received: { key: unknown; events: Array<Record<string, unknown>> }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const events = JSON.parse(body) as Array<Record<string, unknown>>;
      received.push({ key: req.headers['x-api-key'], events });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: events.length, duplicates: 0 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { code, stdout } = await runNode([built('cloud')], {
      ...process.env,
      // The spool goes under the test's folder, not the runner's home.
      XDG_STATE_HOME: join(dir, 'state'),
      AGENTSUDO_API_KEY: 'as_example_test_key',
      AGENTSUDO_ENDPOINT: endpoint,
    });
    expect(code).toBe(0);
    expect(stdout).toContain(`events sent to ${endpoint}`);
    const checks = received.flatMap((r) => r.events).filter((e) => e.action === 'permission_check');
    expect(received.every((r) => r.key === 'as_example_test_key')).toBe(true);
    expect(checks.map((e) => `${e.agent_name} ${e.scope} ${e.allowed}`)).toEqual([
      'SupportBot read:customers true',
      'SupportBot write:refunds false',
    ]);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('the policies example runs the refund bot against the file’s limit, budget, guards and approval', async () => {
  const { code, stdout, stderr } = await runNode([built('policies')]);

  expect(code).toBe(0);
  expect(stdout.trim().split('\n')).toEqual([
    '✅ allowed: refunded 40 EUR on o-1; budget left today: 260 EUR',
    '✅ allowed: refunded 150 EUR on o-2 (over 100: approved by the supervisor); budget left today: 110 EUR',
    '✅ allowed: refunded 90 EUR on o-3; budget left today: 20 EUR',
    '❌ budget: o-4 (60 EUR) refused: 20 EUR left',
    '❌ guardrail: o-5 (10 EUR) refused: guard prompt_injection, rule prompt_injection.override',
    '❌ guardrail: o-6 (10 EUR) refused: guard deny_pattern, rule deny_pattern.drop_table',
    '✅ allowed: refunded 15 EUR on o-7; budget left today: 5 EUR',
    expect.stringMatching(/^❌ rate_limit: o-8 \(5 EUR\) refused: retry in (35\d\d|3600) s$/),
  ]);
  expect(stderr).toContain('agentsudo ✅ approved RefundBot → write:refunds (Payments.refund)');
});
