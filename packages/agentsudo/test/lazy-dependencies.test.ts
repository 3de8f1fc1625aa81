import { DIST, requireBuild, runNode } from './dist';
import { testTempDir } from '../../../test-support/temp-dir';

beforeAll(requireBuild);

const dir = testTempDir('agentsudo-lazy-');

/**
 * Runs `body` in a fresh Node process that has imported the built `agentsudo` as `pkg`;
 * `loaded()` inside it answers which of the transports' dependencies are loaded by then.
 */
async function inFreshProcess(body: string) {
  const program = `
const pkg = require(${JSON.stringify(DIST.index)});
const DIR = ${JSON.stringify(dir)};
const loaded = () => ['winston', 'winston-transport', 'axios'].filter((name) =>
  Object.keys(require.cache).some((file) => file.includes(\`/node_modules/\${name}/\`)));
${body}
`;
  const result = await runNode(['-e', program]);
  expect(result).toMatchObject({ code: 0 });
  return result;
}

describe("importing 'agentsudo' costs what it uses", () => {
  test('importing it loads neither winston nor axios', async () => {
    const { stdout } = await inFreshProcess(`process.stdout.write(JSON.stringify(loaded()));`);
    expect(JSON.parse(stdout)).toEqual([]);
  });

  test('the offline default still prints the first denial at once, before the denied call returns', async () => {
    const { stdout, stderr } = await inFreshProcess(`
const refund = pkg.sudo('write:refunds', () => 'refunded', { name: 'processRefund' });
new pkg.Agent({ name: 'SupportBot', scopes: [] }).startSession(() => {
  try { refund(); } catch (e) { if (!(e instanceof pkg.PermissionError)) throw e; }
});
require('node:fs').writeSync(2, 'after the call\\n');
process.stdout.write(JSON.stringify(loaded()));
process.exit(0); // nothing left to a later tick
`);
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/ agentsudo ❌ denied SupportBot → write:refunds \(processRefund\)$/),
      'after the call',
    ]);
    expect(JSON.parse(stdout)).toEqual(['winston', 'winston-transport']);
  });

  test('a file log loads winston when it is configured, and writes its first line at once', async () => {
    const { stdout } = await inFreshProcess(`
pkg.configureConsole(false);
pkg.configureFileLog({ filename: require('node:path').join(DIR, 'audit.jsonl') });
const names = loaded();
const refund = pkg.sudo('write:refunds', () => 'refunded', { name: 'processRefund' });
new pkg.Agent({ name: 'SupportBot', scopes: [] }).startSession(() => { try { refund(); } catch {} });
const lines = require('node:fs').readFileSync(require('node:path').join(DIR, 'audit.jsonl'), 'utf8').trim().split('\\n');
const denial = lines.map((line) => JSON.parse(line)).find((event) => event.allowed === false);
process.stdout.write(JSON.stringify({ names, scope: denial.scope }));
process.exit(0);
`);
    expect(JSON.parse(stdout)).toEqual({ names: ['winston', 'winston-transport'], scope: 'write:refunds' });
  });

  test('cloud mode loads axios when it is configured, and winston only if something prints', async () => {
    const { stdout } = await inFreshProcess(`
pkg.configureCloud({ apiKey: 'as_test', endpoint: 'http://127.0.0.1:9', spoolDir: false });
process.stdout.write(JSON.stringify(loaded()));
process.exit(0);
`);
    expect(JSON.parse(stdout)).toEqual(['axios']);
  });
});
