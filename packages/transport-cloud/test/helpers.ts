import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configure, createEvent, type SudoEvent } from '@agentsudo/core';
import {
  CloudTransport,
  shutdownCloud,
  type CloudOptions,
  type MakeSender,
} from '@agentsudo/transport-cloud';
import { SpoolMark } from '../src/spool';
import { startReceiver, type Receiver } from './receiver';

/** A permission-check event with a recognisable function name. */
export function checkEvent(i: number, allowed = true): SudoEvent {
  return createEvent({
    agentName: 'SupportBot',
    action: 'permission_check',
    allowed,
    scope: 'read:customers',
    functionName: `CustomerService.getCustomer#${i}`,
  });
}

/** A fresh temp folder, removed by `cleanup()`. */
export function tempDir(prefix = 'agentsudo-cloud-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
const made: string[] = [];

/** The wire events in a spool folder, oldest file first. */
export function readSpool(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#agentsudo-spool '))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

/**
 * Writes a spool file as a transport for `endpoint` and `key` would (sealed, 0600), holding
 * `lines` (JSON Lines, one event each); `seq` orders files. Returns the file's name.
 */
export function writeSpoolFile(
  dir: string,
  endpoint: string,
  lines: string[],
  { key = TEST_KEY, seq = 1 }: { key?: string; seq?: number } = {},
): string {
  const mark = new SpoolMark(endpoint, key);
  const name = `0001700000000-1-${String(seq).padStart(9, '0')}-${lines.length}-${mark.tag}.jsonl`;
  writeFileSync(join(dir, name), mark.seal(lines.map((l) => `${l}\n`).join(''), 'jsonl', 0, 0), {
    mode: 0o600,
  });
  return name;
}

/** Transports made in a test, all closed by `cleanup()` so jest exits cleanly. */
const transports: CloudTransport[] = [];

/** The API key {@link makeTransport} uses unless told otherwise. */
export const TEST_KEY = 'as_test_0123456789';

/** A CloudTransport with test-friendly defaults (short backoff, private spool folder). */
export function makeTransport(options: CloudOptions, makeSender?: MakeSender): CloudTransport {
  const t = new CloudTransport(
    {
      apiKey: TEST_KEY,
      maxBackoffMs: 50,
      spoolDir: tempDir(),
      ...options,
    },
    makeSender,
  );
  transports.push(t);
  return t;
}

/** Closes every transport made here (without waiting on the network) and removes temp folders. */
export async function cleanup(): Promise<void> {
  await Promise.all(transports.splice(0).map((t) => t.close(0)));
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs `fn` with stderr captured; `fn` reads what was written so far through `text()`. */
export async function withStderr(fn: (text: () => string) => Promise<void>): Promise<void> {
  const original = process.stderr.write.bind(process.stderr);
  let out = '';
  (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  };
  try {
    await fn(() => out);
  } finally {
    (process.stderr as { write: unknown }).write = original;
  }
}

/**
 * A fresh receiver for each test (handed to `set`), stopped afterwards together with every
 * transport and temp folder; `resetCloud` also turns cloud mode off between tests.
 */
export function useReceiver(set: (receiver: Receiver) => void, { resetCloud = false } = {}): void {
  let current: Receiver | undefined;
  beforeEach(async () => {
    current = await startReceiver();
    set(current);
  });
  afterEach(async () => {
    if (resetCloud) {
      await shutdownCloud(0);
      configure({ transports: [] });
    }
    await cleanup();
    await current?.stop();
  });
}

/** Milliseconds to sleep in a scenario (never used to judge speed). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
