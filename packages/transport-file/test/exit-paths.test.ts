import { join } from 'node:path';
import { readAuditLog } from '@agentsudo/transport-file';
import { requireBuild, runNode, writeScript } from './child-process';
import { tempDir } from './temp-dir';

/**
 * A program logs to the audit file, makes one denied call and then leaves at once in
 * the way named by argv[3]. The denied event must be in the file every time.
 */
const PROGRAM = `
const { Agent, configure, sudo } = require(CORE);
const { FileTransport } = require(FILE);
const [file, how] = process.argv.slice(2);
configure({ transports: [new FileTransport({ filename: file })] });
const bot = new Agent({ name: 'ExitBot', scopes: ['read:customers'] });
const processRefund = sudo('write:refunds', () => 'refunded', { name: 'processRefund' });
bot.startSession(() => {
  if (how === 'uncaught-exception') processRefund(); // the PermissionError is never caught
  try { processRefund(); } catch {}
  if (how === 'process.exit') process.exit(0);
  if (how === 'unhandled-rejection') { Promise.reject(new Error('boom')); return; }
  if (how === 'await-signal') { process.stdout.write('ready\\n'); setInterval(() => {}, 1000); return; }
  process.kill(process.pid, how); // SIGINT, SIGTERM, SIGKILL sent to itself right away
});
`;

const dir = tempDir();
let script: string;
beforeAll(() => {
  script = writeScript(dir, 'exit-program.js', PROGRAM);
});
let n = 0;

beforeAll(requireBuild);

async function deniedEventsIn(file: string) {
  return (await readAuditLog(file, { denied: true })).map(
    (e) => `${e.agentName} ${e.scope} ${e.functionName}`,
  );
}

describe('no event is lost when the process ends right after a denied call', () => {
  test('process.exit()', async () => {
    const file = join(dir, `${++n}.jsonl`);
    const result = await runNode(script, [file, 'process.exit']);
    expect(result.code).toBe(0);
    expect(await deniedEventsIn(file)).toEqual(['ExitBot write:refunds processRefund']);
  });

  test.each(['SIGINT', 'SIGTERM', 'SIGKILL'])('%s sent by the process to itself', async (signal) => {
    const file = join(dir, `${++n}.jsonl`);
    const result = await runNode(script, [file, signal]);
    expect(result.signal).toBe(signal);
    expect(await deniedEventsIn(file)).toEqual(['ExitBot write:refunds processRefund']);
  });

  test.each(['SIGINT', 'SIGTERM'])('%s sent from outside while the program idles', async (signal) => {
    const file = join(dir, `${++n}.jsonl`);
    const result = await runNode(script, [file, 'await-signal'], (out, child) => {
      if (out.includes('ready')) child.kill(signal as NodeJS.Signals);
    });
    expect(result.signal).toBe(signal);
    expect(await deniedEventsIn(file)).toEqual(['ExitBot write:refunds processRefund']);
  });

  test('an uncaught exception (the PermissionError itself)', async () => {
    const file = join(dir, `${++n}.jsonl`);
    const result = await runNode(script, [file, 'uncaught-exception']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PermissionDeniedError');
    expect(await deniedEventsIn(file)).toEqual(['ExitBot write:refunds processRefund']);
  });

  test('an unhandled promise rejection', async () => {
    const file = join(dir, `${++n}.jsonl`);
    const result = await runNode(script, [file, 'unhandled-rejection']);
    expect(result.code).toBe(1);
    expect(await deniedEventsIn(file)).toEqual(['ExitBot write:refunds processRefund']);
  });
});
