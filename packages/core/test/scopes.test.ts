import { Agent, ConfigurationError, compileScopes } from '@agentsudo/core';

describe('scope matching', () => {
  it('grants exact scopes and nothing else', () => {
    const m = compileScopes(['read:customers']);
    expect(m.test('read:customers')).toBe(true);
    expect(m.test('read:customer')).toBe(false);
    expect(m.test('read:customers:extra')).toBe(false);
    expect(m.test('write:customers')).toBe(false);
  });

  it('treats * as a wildcard: read:*, write:orders*, and * alone', () => {
    const m = compileScopes(['read:*', 'write:orders*']);
    expect(m.test('read:customers')).toBe(true);
    expect(m.test('read:')).toBe(true);
    expect(m.test('write:orders')).toBe(true);
    expect(m.test('write:orders:refund')).toBe(true);
    expect(m.test('write:refunds')).toBe(false);
    expect(m.test('reader:x')).toBe(false);
    expect(compileScopes(['*']).test('anything:at:all')).toBe(true);
  });

  it('supports a wildcard in the middle of a pattern', () => {
    const m = compileScopes(['db:*:read']);
    expect(m.test('db:orders:read')).toBe(true);
    expect(m.test('db:orders:write')).toBe(false);
  });

  it('matches regex metacharacters literally', () => {
    const m = compileScopes(['read:(a|b)', 'a.b', 'x+*']);
    expect(m.test('read:(a|b)')).toBe(true);
    expect(m.test('read:a')).toBe(false);
    expect(m.test('a.b')).toBe(true);
    expect(m.test('axb')).toBe(false);
    expect(m.test('x+y')).toBe(true);
    expect(m.test('xxy')).toBe(false);
    const middle = compileScopes(['a.b*c', 'read:(x|y)*:raw']);
    expect(middle.test('a.b-anything-c')).toBe(true);
    expect(middle.test('aXb-anything-c')).toBe(false);
    expect(middle.test('read:(x|y)/1:raw')).toBe(true);
    expect(middle.test('read:x1:raw')).toBe(false);
  });

  it('gives the same answer from the cache as on the first test', () => {
    const m = compileScopes(['read:*']);
    expect([m.test('read:a'), m.test('read:a'), m.test('write:a'), m.test('write:a')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('bad scopes are rejected when the Agent is built', () => {
  it.each([
    ['an empty string', '', /scope "" is blank/],
    ['a blank string', '   ', /scope " {3}" is blank/],
    ['a padded string', ' read:x ', /leading or trailing white space/],
    ['a number', 42, /got number 42/],
    ['null', null, /got null/],
    ['an object', { scope: 'x' }, /got an object/],
  ])('%s', (_label, bad, message) => {
    expect(() => new Agent({ name: 'Bot', scopes: ['read:ok', bad as string] })).toThrow(ConfigurationError);
    expect(() => new Agent({ name: 'Bot', scopes: ['read:ok', bad as string] })).toThrow(message);
    expect(() => new Agent({ name: 'Bot', scopes: ['read:ok', bad as string] })).toThrow(/scopes\[1\]/);
  });

  it('rejects scopes that are not an array', () => {
    expect(() => new Agent({ name: 'Bot', scopes: 'read:x' as unknown as string[] })).toThrow(
      /must be an array/,
    );
  });
});
