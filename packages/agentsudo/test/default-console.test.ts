import { DIST, requireBuild, runNode } from './dist';

beforeAll(requireBuild);

const PROGRAM = `
const { Agent, sudo, PermissionError } = require(${JSON.stringify(DIST.index)});
const bot = new Agent({ name: 'SupportBot', scopes: ['read:customers'] });
const getCustomer = sudo('read:customers', (id) => ({ id }), { name: 'getCustomer' });
const processRefund = sudo('write:refunds', () => 'refunded', { name: 'processRefund' });
bot.startSession(() => {
  getCustomer('c-1');
  try { processRefund(); } catch (e) { if (!(e instanceof PermissionError)) throw e; }
});
process.stdout.write('done\\n');
`;

test('a program that only imports agentsudo prints its denials on stderr, one line each, stdout untouched', async () => {
  const { code, stdout, stderr } = await runNode(['-e', PROGRAM]);
  expect(code).toBe(0);
  expect(stdout).toBe('done\n');
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^\d{4}-\d\d-\d\dT[\d:.]+Z agentsudo ❌ denied SupportBot → write:refunds \(processRefund\)$/,
  );
  expect(stderr).not.toContain('\x1b['); // piped, not a terminal: no color codes
});
