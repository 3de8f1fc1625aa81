import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('the private-folder rules', () => {
  test('are the same in the file log and the cloud spool: the two copies are identical', () => {
    // Two packages with no dependency between them, so one module each; this keeps them one.
    const copy = (pkg: string) =>
      readFileSync(join(__dirname, '..', '..', pkg, 'src', 'private-dir.ts'), 'utf8');
    expect(copy('transport-file')).toBe(copy('transport-cloud'));
  });
});
