'use strict';
/**
 * Scope patterns against scopes at their worst: patterns of nothing but `*` and letters that
 * almost match. The first row is how patterns were matched before, as a backtracking regular
 * expression, on a small case (a larger one would not finish); the second is today's matcher
 * on the same case, so the ratio is measured in one run; the rest are 512-character patterns
 * against 512-character scopes, the longest the API accepts. Target: under 1 ms each.
 *
 * Every row compiles the pattern and tests one scope, so no answer comes from the cache.
 */
const core = require('../packages/core/dist');
const { measure, report } = require('./lib/harness');

/** The matcher patterns had before: each `*` became `.*` in one regular expression. */
function regexMatcher(pattern) {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${body}$`, 's');
  return { test: (scope) => re.test(scope) };
}

const small = { pattern: '*a*a*a*a*a*b', scope: 'a'.repeat(48) };
const cases = [
  ['512: (*a)x255 then *b vs a x512', '*a'.repeat(255) + '*b', 'a'.repeat(512)],
  ['512: *, a x255, b, * x255 vs a x512', '*' + 'a'.repeat(255) + 'b' + '*'.repeat(255), 'a'.repeat(512)],
  ['512: (a*)x255 then ab vs a x511 + c', 'a*'.repeat(255) + 'ab', 'a'.repeat(511) + 'c'],
  ['512: (*ab)x170 + *c vs (ab)x256', '*ab'.repeat(170) + '*c', 'ab'.repeat(256)],
];

let sink = 0;
const rows = [];
const slow = { ms: 1000, batch: 1, warmup: 50 };
rows.push(
  measure(
    `regex (before), small: ${small.pattern} vs a x${small.scope.length}`,
    () => (sink += regexMatcher(small.pattern).test(small.scope) ? 1 : 0),
    slow,
  ),
);
rows.push(
  measure(
    `linear matcher, same small case`,
    () => (sink += core.compileScopes([small.pattern]).test(small.scope) ? 1 : 0),
    { batch: 100 },
  ),
);
for (const [name, pattern, scope] of cases) {
  rows.push(
    measure(`linear matcher, ${name}`, () => (sink += core.compileScopes([pattern]).test(scope) ? 1 : 0), {
      batch: 10,
    }),
  );
}

const worst512Ms = Math.max(...rows.slice(2).map((r) => r.nsPerOp / 1e6));
for (const r of rows) r.extra = { 'ms/op': (r.nsPerOp / 1e6).toFixed(4) };
report('scope-match', rows, {
  speedupOnSmallCase: +(rows[0].nsPerOp / rows[1].nsPerOp).toFixed(0),
  worst512Ms: +worst512Ms.toFixed(4),
  targetMs: 1,
  note: 'compile + one test per op (no cached answers); one process, one run',
});
if (sink === -1) console.log('');
