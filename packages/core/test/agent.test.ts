import { Agent, ConfigurationError } from '@agentsudo/core';

describe('Agent', () => {
  it('has a stable uuid id, a name, scopes, role and metadata', () => {
    const bot = new Agent({
      name: 'SupportBot',
      scopes: ['read:customers'],
      role: 'support',
      metadata: { team: 'cx' },
    });
    expect(bot.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(bot.id).toBe(bot.id);
    expect(bot.name).toBe('SupportBot');
    expect(bot.scopes).toEqual(['read:customers']);
    expect(bot.role).toBe('support');
    expect(bot.metadata).toEqual({ team: 'cx' });
    expect(new Agent({ name: 'Other', scopes: [] }).id).not.toBe(bot.id);
  });

  it('keeps a given id, to hold one identity across restarts', () => {
    expect(new Agent({ name: 'A', scopes: [], id: 'agent-1' }).id).toBe('agent-1');
  });

  it('copies its scopes so later changes to the caller’s array do not grant anything', () => {
    const scopes = ['read:customers'];
    const bot = new Agent({ name: 'A', scopes });
    scopes.push('*');
    expect(bot.hasScope('write:refunds')).toBe(false);
    expect(Object.isFrozen(bot.scopes)).toBe(true);
  });

  it('answers hasScope with wildcards', () => {
    const bot = new Agent({ name: 'A', scopes: ['read:*'] });
    expect(bot.hasScope('read:orders')).toBe(true);
    expect(bot.hasScope('write:orders')).toBe(false);
  });

  it('names a non-string given to hasScope instead of failing obscurely', () => {
    const bot = new Agent({ name: 'A', scopes: ['read:*'] });
    expect(() => bot.hasScope(undefined as never)).toThrow(
      /hasScope\(\) takes a scope string .* got undefined/,
    );
    expect(() => bot.hasScope(42 as never)).toThrow(/got number 42/);
  });

  it.each([
    [{ name: '', scopes: [] }, /name must be a non-empty string/],
    [{ name: 'A', scopes: [], sessionTtlMs: 0 }, /sessionTtlMs must be a positive number/],
    [{ name: 'A', scopes: [], sessionTtlMs: NaN }, /sessionTtlMs/],
    [{ name: 'A', scopes: [], metadata: [] }, /metadata must be a plain object/],
    [{ name: 'A', scopes: [], role: 7 }, /role must be a string/],
  ])('rejects bad options %#', (options, message) => {
    expect(() => new Agent(options as never)).toThrow(ConfigurationError);
    expect(() => new Agent(options as never)).toThrow(message);
  });
});
