import { readFileSync } from 'node:fs';
import { testTempDir } from '../../../test-support/temp-dir';

/** A fresh directory under the OS temp dir for the test file, made before its tests and removed after. */
export function tempDir(): string {
  return testTempDir('agentsudo-file-');
}

/** The file's lines, parsed as JSON; throws on any line that is not. */
export function jsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}
