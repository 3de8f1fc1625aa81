import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAuditLog, rotatedFiles } from '@agentsudo/transport-file';
import { requireBuild, runNode, writeScript, type ChildResult } from './child-process';
import { tempDir } from './temp-dir';

/**
 * A writer process: opens the shared log, says 'ready', waits for 'go' on stdin (so all
 * writers start together), then logs `count` events padded to about `pad` bytes each.
 */
const WRITER = `
const { createEvent } = require(CORE);
const { FileTransport } = require(FILE);
const [file, writer, count, pad, maxSize] = process.argv.slice(2);
const transport = new FileTransport({ filename: file, maxSize: maxSize ? Number(maxSize) : undefined, maxFiles: 100 });
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  for (let seq = 0; seq < Number(count); seq++) {
    transport.log(createEvent({
      agentName: 'writer-' + writer, action: 'permission_check', allowed: seq % 2 === 0,
      scope: 'write:orders', metadata: { writer: Number(writer), seq, pad: 'x'.repeat(Number(pad)) },
    }));
  }
  process.exit(0);
});
`;

const dir = tempDir();
let script: string;
beforeAll(() => {
  script = writeScript(dir, 'writer.js', WRITER);
});

beforeAll(requireBuild);

/** Starts `writers` processes, releases them at once, and waits for all to finish. */
async function runWriters(file: string, writers: number, count: number, pad: number, maxSize?: number) {
  const children: ReturnType<typeof runNode>[] = [];
  const ready: Promise<() => void>[] = [];
  for (let w = 0; w < writers; w++) {
    let signalReady!: (release: () => void) => void;
    ready.push(new Promise((r) => (signalReady = r)));
    let announced = false;
    const args = [file, String(w), String(count), String(pad), maxSize ? String(maxSize) : ''];
    children.push(
      runNode(script, args, (out, child) => {
        if (!announced && out.includes('ready')) {
          announced = true;
          signalReady(() => child.stdin!.end('go\n'));
        }
      }),
    );
  }
  const releases = await Promise.all(ready);
  releases.forEach((go) => go());
  const results: ChildResult[] = await Promise.all(children);
  for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
}

/** Every (writer, seq) pair exactly once, each writer's events in order. */
function expectComplete(events: { metadata?: Record<string, unknown> }[], writers: number, count: number) {
  expect(events).toHaveLength(writers * count);
  for (let w = 0; w < writers; w++) {
    const seqs = events.filter((e) => e.metadata!.writer === w).map((e) => e.metadata!.seq);
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
  }
}

describe('several processes appending to one log', () => {
  test('leave only whole lines, even lines larger than a pipe buffer', async () => {
    const file = join(dir, 'shared.jsonl');
    const writers = 4;
    const count = 1500;
    await runWriters(file, writers, count, 6000);

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline, no torn tail
    const events = await readAuditLog(file); // throws on any line that is not a whole event
    expectComplete(events, writers, count);
    // The writers really overlapped: their lines alternate somewhere in the file.
    const switches = events.filter((e, i) => i > 0 && e.agentName !== events[i - 1].agentName).length;
    expect(switches).toBeGreaterThan(writers);
  });

  test('rotate without losing or duplicating a line', async () => {
    const file = join(dir, 'rotating.jsonl');
    const writers = 3;
    const count = 800;
    await runWriters(file, writers, count, 400, 40_000);

    const rotated = rotatedFiles(file);
    expect(rotated.length).toBeGreaterThan(1);
    const events = await readAuditLog(file, { includeRotated: true });
    expectComplete(events, writers, count);
  });
});
