import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { Agent, ConfigurationError } from '@agentsudo/core';
import { AgentRegistry, bearerToken, generateAgentToken, hashAgentToken } from '../src/express';

const bot = () => new Agent({ name: 'SupportBot', scopes: ['read:customers'] });

describe('AgentRegistry', () => {
  it('finds the agent holding a token and nobody for any other token', () => {
    const token = generateAgentToken();
    const other = new Agent({ name: 'Auditor', scopes: ['read:*'] });
    const registry = new AgentRegistry([
      { agent: bot(), token },
      { agent: other, token: generateAgentToken() },
    ]);

    expect(registry.authenticate(token)?.name).toBe('SupportBot');
    expect(registry.authenticate(`${token}x`)).toBeUndefined();
    expect(registry.authenticate(token.slice(1))).toBeUndefined();
    expect(registry.authenticate('')).toBeUndefined();
    expect(registry.authenticate(undefined)).toBeUndefined();
  });

  it('compares a token with every registered digest in constant time, with no early exit', () => {
    const tokens = [generateAgentToken(), generateAgentToken(), generateAgentToken()];
    const registry = new AgentRegistry(
      tokens.map((token, i) => ({ agent: new Agent({ name: `Bot${i}`, scopes: [] }), token })),
    );
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(registry.authenticate(tokens[0])?.name).toBe('Bot0');
      expect(compare).toHaveBeenCalledTimes(3);
      compare.mockClear();
      expect(registry.authenticate(generateAgentToken())).toBeUndefined();
      expect(compare).toHaveBeenCalledTimes(3);
    } finally {
      compare.mockRestore();
    }
  });

  it('keeps only the SHA-256 digest of a token, never the token itself', () => {
    const token = generateAgentToken();
    const registry = new AgentRegistry([{ agent: bot(), token }]);

    const dump = inspect(registry, { depth: 10, showHidden: true });
    expect(dump).not.toContain(token);
    expect(JSON.stringify(registry)).not.toContain(token);
  });

  it('accepts a precomputed digest, so the plain token need not be in server config', () => {
    const token = generateAgentToken();
    const registry = new AgentRegistry([{ agent: bot(), tokenSha256: hashAgentToken(token) }]);

    expect(registry.authenticate(token)?.name).toBe('SupportBot');
  });

  it('registers agents without a token for custom resolvers, looked up by name', () => {
    const registry = new AgentRegistry().register({ agent: bot() });

    expect(registry.get('SupportBot')?.scopes).toEqual(['read:customers']);
    expect(registry.list().map((a) => a.name)).toEqual(['SupportBot']);
    expect(registry.authenticate('no-agent-has-any-token')).toBeUndefined();
  });

  it('rejects bad registrations with an error naming the problem', () => {
    const token = generateAgentToken();
    expect(() => new AgentRegistry({} as never)).toThrow(/agents must be an array/);
    expect(() => new AgentRegistry([{ agent: { name: 'x' } as never, token }])).toThrow(
      /agents\[0\]: agent must be an Agent/,
    );
    expect(() => new AgentRegistry([{ agent: bot(), token: 'short' }])).toThrow(
      /at least 16 characters.*generateAgentToken/,
    );
    expect(() => new AgentRegistry([{ agent: bot(), tokenSha256: 'abc' }])).toThrow(
      /tokenSha256 of agent 'SupportBot' must be 64 hex characters/,
    );
    expect(() => new AgentRegistry([{ agent: bot(), token, tokenSha256: hashAgentToken(token) }])).toThrow(
      /both token and tokenSha256/,
    );
    expect(() => new AgentRegistry([{ agent: bot() }, { agent: bot() }])).toThrow(
      /agents\[1\]: an agent named 'SupportBot' is already registered/,
    );
    expect(
      () =>
        new AgentRegistry([
          { agent: bot(), token },
          { agent: new Agent({ name: 'Other', scopes: [] }), token },
        ]),
    ).toThrow(/uses a token already given to another agent/);
    expect(() => new AgentRegistry([{ agent: bot(), token: 'short' }])).toThrow(ConfigurationError);
  });

  it('never echoes a rejected token in the error message', () => {
    const weak = 'my secret token';
    expect(() => new AgentRegistry([{ agent: bot(), token: weak }])).toThrow(ConfigurationError);
    try {
      new AgentRegistry([{ agent: bot(), token: weak }]);
    } catch (err) {
      expect((err as Error).message).not.toContain(weak);
    }
  });
});

describe('generateAgentToken', () => {
  it('makes distinct url-safe tokens of 256 random bits', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => generateAgentToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('bearerToken', () => {
  const withAuth = (authorization?: string) => ({ headers: { authorization } }) as never;

  it('reads the token of a Bearer header, whatever the scheme case', () => {
    expect(bearerToken(withAuth('Bearer abc.def'))).toBe('abc.def');
    expect(bearerToken(withAuth('bearer   abc'))).toBe('abc');
  });

  it('ignores missing headers and other schemes', () => {
    expect(bearerToken(withAuth())).toBeUndefined();
    expect(bearerToken(withAuth('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(bearerToken(withAuth('Bearer'))).toBeUndefined();
    expect(bearerToken(withAuth('Bearer a b'))).toBeUndefined();
  });
});
