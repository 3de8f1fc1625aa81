import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private folder (mode 0700) under the OS temp dir for the tests of one file or one
 * `describe` block. Its path is known at once; the folder is created before their first
 * test and removed after their last. Made in `beforeAll` rather than when the file is
 * loaded, because Jest runs neither hook for a block whose tests are all filtered out
 * (`jest -t …`): a folder made at load time would then be left behind.
 *
 * @example
 * ```ts
 * const dir = testTempDir('agentsudo-cli-');
 * test('writes a log', () => writeFileSync(join(dir, 'audit.jsonl'), ''));
 * ```
 */
export function testTempDir(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString('hex')}`);
  // Without `recursive`, mkdir fails on an existing path: a planted folder is never adopted.
  beforeAll(() => mkdirSync(dir, { mode: 0o700 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
