import fc from 'fast-check';
import { compileScopes } from '@agentsudo/core';

/**
 * The reference meaning of a pattern: `*` is any run of characters, everything else is
 * itself. Built as a regular expression, which backtracks, so only ever given small inputs.
 */
function referenceMatch(pattern: string, scope: string): boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's').test(scope);
}

/** Few letters, so random patterns and scopes share characters and often match. */
const letter = fc.constantFrom('a', 'b', ':', '.', '(', '\n');
const patternArb = fc
  .array(fc.oneof(letter, fc.constant('*')), { maxLength: 12 })
  .map((chars) => chars.join(''));
const scopeArb = fc.array(fc.oneof(letter, fc.constant('*')), { maxLength: 16 }).map((c) => c.join(''));

describe('scope patterns', () => {
  it('answer as the reference meaning does, for any pattern and scope', () => {
    fc.assert(
      fc.property(patternArb, scopeArb, (pattern, scope) => {
        expect(compileScopes([pattern]).test(scope)).toBe(referenceMatch(pattern, scope));
      }),
      { numRuns: 5000 },
    );
  });

  it('grant a scope when any one of several patterns matches it', () => {
    fc.assert(
      fc.property(fc.array(patternArb, { maxLength: 4 }), scopeArb, (patterns, scope) => {
        const expected = patterns.some((p) => referenceMatch(p, scope));
        expect(compileScopes(patterns).test(scope)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('decide a 512-character pattern of wildcards against a 512-character scope', () => {
    // As a regular expression, this pattern against this scope backtracks for longer than
    // anyone would wait; the answer must come as fast as any other.
    const pattern = '*a'.repeat(255) + '*b';
    const scope = 'a'.repeat(512);
    const m = compileScopes([pattern]);
    expect(m.test(scope)).toBe(false);
    expect(m.test(scope.slice(0, -1) + 'b')).toBe(true);
    expect(compileScopes(['a*'.repeat(255) + 'ab']).test('a'.repeat(511) + 'b')).toBe(true);
  });
});
