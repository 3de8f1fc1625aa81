import { deny, GuardOptionsError, UnsafePatternError } from '@agentsudo/guardrails';
import { ctx } from './context';

describe('deny.pattern()', () => {
  it('refuses a call when any string in its arguments matches, naming the argument', () => {
    const guard = deny.pattern(/\bDROP\s+TABLE\b/i, { rule: 'sql_drop', message: 'drops a table' });
    expect(guard.inspect([{ sql: 'select 1; drop  table users' }], ctx)).toEqual({
      action: 'refuse',
      rule: 'deny_pattern.sql_drop',
      message: 'args[0].sql drops a table',
    });
    expect(guard.inspect([{ sql: 'select * from tables' }], ctx)).toBeUndefined();
  });

  it('answers the same every time, even for a pattern with the g flag', () => {
    const guard = deny.pattern(/refund/g);
    for (let i = 0; i < 3; i++)
      expect(guard.inspect(['refund now'], ctx)).toMatchObject({ rule: 'deny_pattern.match' });
  });

  it('refuses a pattern with nested quantifiers when it is built: /(a+)+$/ on "aaaa…!" would backtrack for ever', () => {
    expect(() => deny.pattern(/(a+)+$/)).toThrow(UnsafePatternError);
    expect(() => deny.pattern(/(\w+\s?)*$/)).toThrow(/rewrite it without nested quantifiers/);
  });

  it('stops a catastrophic pattern the build-time check lets through, and refuses the call', () => {
    // (a|a)* has star height 1, so safe-regex2 passes it, yet on 40 a's and a ! it backtracks
    // 2^40 times: without the timeout this call would not return for hours.
    const guard = deny.pattern(/^(a|a)*$/, { timeoutMs: 50 });
    expect(guard.inspect(['a'.repeat(40) + '!'], ctx)).toEqual({
      action: 'refuse',
      rule: 'deny_pattern.timeout',
      message: expect.stringContaining('took over 50 ms, so the arguments could not be checked'),
    });
    // The guard still works for the next call.
    expect(guard.inspect(['aaaa'], ctx)).toMatchObject({ rule: 'deny_pattern.match' });
    expect(guard.inspect(['b'], ctx)).toBeUndefined();
  });

  it('refuses arguments larger than it reads', () => {
    expect(deny.pattern(/x/, { limits: { maxChars: 10 } }).inspect(['y'.repeat(11)], ctx)).toMatchObject({
      rule: 'deny_pattern.oversize',
    });
  });

  it('refuses bad options when built', () => {
    expect(() => deny.pattern('DROP TABLE' as never)).toThrow(GuardOptionsError);
    expect(() => deny.pattern(/x/, { rule: 'Has Spaces' })).toThrow(/rule "Has Spaces"/);
    expect(() => deny.pattern(/x/, { timeoutMs: 0 })).toThrow(/timeoutMs 0 is not usable/);
  });
});
