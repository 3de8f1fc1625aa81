import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAuditLog } from 'agentsudo';
import { runNode } from './dist';

const examples = resolve(__dirname, '../../../examples');
const built = (name: string) => {
  const main = join(examples, name, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before these tests.`);
  return main;
};

const dir = mkdtempSync(join(tmpdir(), 'agentsudo-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the quickstart shows one allowed and one denied call', async () => {
  const { code, stdout, stderr } = await runNode([built('quickstart')]);
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
