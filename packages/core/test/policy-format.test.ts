import fc from 'fast-check';
import { Agent, compilePolicy, formatPolicyPath, PolicyError, validatePolicy } from '../src';

const refundBot = {
  scopes: ['read:orders', 'write:refunds'],
  limits: { 'write:refunds': { max: 10, per: '1h' } },
  budgets: { 'write:refunds': { max: 500, per: '1d' } },
};

/** The PolicyError `doc` is refused with. */
function refusal(doc: unknown): PolicyError {
  try {
    validatePolicy(doc);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('the policy was accepted');
}

describe('a policy document', () => {
  test('becomes real agents with their limits and budgets, and lookups for approval and guards', () => {
    const rules = compilePolicy(
      validatePolicy({
        agents: { RefundBot: refundBot, SupportBot: { scopes: ['read:*'], role: 'support' } },
        approval: ['write:refunds'],
        guards: {
          'write:*': ['promptInjection'],
          'write:refunds': [{ 'deny.pattern': { pattern: '\\bDROP\\s+TABLE\\b', flags: 'i' } }],
        },
      }),
    );

    const bot = rules.agentNamed('RefundBot')!;
    expect(bot).toBeInstanceOf(Agent);
    expect(bot).toMatchObject({ id: 'RefundBot', limits: refundBot.limits, budgets: refundBot.budgets });
    expect(bot.hasScope('write:refunds')).toBe(true);
    expect(rules.agentNamed('SupportBot')).toMatchObject({ role: 'support' });
    expect(rules.needsApproval('write:refunds')).toBe(true);
    expect(rules.needsApproval('write:orders')).toBe(false);
    expect(rules.guardSpecsFor('write:refunds').map((g) => g.name)).toEqual([
      'promptInjection',
      'deny.pattern',
    ]);
    expect(rules.guardSpecsFor('write:orders').map((g) => g.name)).toEqual(['promptInjection']);
    expect(rules.guardSpecsFor('read:orders')).toEqual([]);
  });

  test.each([
    [
      'a duration that is not one',
      { agents: { RefundBot: { ...refundBot, limits: { 'write:refunds': { max: 10, per: '1 hour' } } } } },
      'agents.RefundBot.limits.write:refunds.per',
      /"1 hour" is not a duration; use '30s', '15m', '1h', '1d'/,
    ],
    [
      'a budget of nothing',
      { agents: { RefundBot: { ...refundBot, budgets: { 'write:refunds': { max: 0, per: '1d' } } } } },
      'agents.RefundBot.budgets.write:refunds.max',
      /number 0 is not an amount/,
    ],
    [
      'an unknown key in an agent',
      { agents: { RefundBot: { ...refundBot, scope: ['x'] } } },
      'agents.RefundBot.scope',
      /agent 'RefundBot' has an unknown key "scope"\. The keys it may have are: scopes, id/,
    ],
    [
      'a scope with white space around it',
      { agents: { RefundBot: { scopes: ['read:orders', ' write:refunds'] } } },
      'agents.RefundBot.scopes[1]',
      /has leading or trailing white space; write "write:refunds"/,
    ],
    [
      'a guard no policy can name',
      { agents: { RefundBot: refundBot }, guards: { 'write:refunds': [{ profanity: {} }] } },
      'guards.write:refunds[0]',
      /"profanity" is not a guard a policy can name\. Use one of: promptInjection, pii, topics, deny\.pattern/,
    ],
    [
      'a pattern that does not compile',
      {
        agents: { RefundBot: refundBot },
        guards: { 'write:refunds': [{ 'deny.pattern': { pattern: '(' } }] },
      },
      'guards.write:refunds[0]["deny.pattern"].pattern',
      /"\(" is not a regular expression/,
    ],
    [
      'the g flag, which only changes where a search starts',
      {
        agents: { RefundBot: refundBot },
        guards: { '*': [{ 'deny.pattern': { pattern: 'x', flags: 'g' } }] },
      },
      '*[0]["deny.pattern"].flags',
      /flags "g" are not flags deny\.pattern uses\. Use some of i, m, s and u/,
    ],
    [
      'approval that is not a list',
      { agents: { RefundBot: refundBot }, approval: 'write:refunds' },
      'approval',
      /must be a list/,
    ],
    ['no agents', { tools: { '*': 'a:b' } }, '(the policy)', /the policy has no agents:/],
  ])('refuses %s, naming its path and the fix', (_what, doc, path, message) => {
    const error = refusal(doc);

    expect(formatPolicyPath(error.path)).toContain(path);
    expect(error.message).toMatch(message);
  });

  test('checks an agent as new Agent does, with the same words', () => {
    const rule = { 'write:refunds': { max: 2.5, per: '1h' } };
    let direct: unknown;
    try {
      new Agent({ name: 'RefundBot', scopes: [], limits: rule });
    } catch (err) {
      direct = err;
    }

    const error = refusal({ agents: { RefundBot: { scopes: [], limits: rule } } });

    expect((direct as Error).message).toContain(error.problem);
  });

  test('keeps the agents a reload did not change, with their counters', () => {
    const before = compilePolicy(
      validatePolicy({ agents: { RefundBot: refundBot, SupportBot: { scopes: ['read:*'] } } }),
    );
    const after = compilePolicy(
      validatePolicy({ agents: { RefundBot: refundBot, SupportBot: { scopes: ['read:*', 'write:notes'] } } }),
      before,
    );

    expect(after.agentNamed('RefundBot')).toBe(before.agentNamed('RefundBot'));
    expect(after.agentNamed('SupportBot')).not.toBe(before.agentNamed('SupportBot'));
    expect(after.agentNamed('SupportBot')!.hasScope('write:notes')).toBe(true);
  });

  test('anything a parser can return is accepted or refused with a PolicyError, never another error', () => {
    const scope = fc.constantFrom('read:orders', 'write:*', '', ' x', '*');
    const value = fc.oneof(fc.jsonValue(), scope, fc.constant({ max: 10, per: '1h' }));
    const agent = fc.record(
      {
        scopes: fc.oneof(fc.array(scope), value),
        limits: fc.dictionary(scope, value),
        role: value,
        id: value,
      },
      { requiredKeys: [] },
    );
    const doc = fc.record(
      {
        agents: fc.oneof(fc.dictionary(fc.string(), agent), value),
        approval: fc.oneof(fc.array(scope), value),
        guards: fc.dictionary(
          scope,
          fc.oneof(
            fc.array(fc.oneof(value, fc.dictionary(fc.constantFrom('pii', 'deny.pattern', 'x'), value))),
            value,
          ),
        ),
        tools: fc.oneof(fc.dictionary(fc.string(), scope), value),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(doc, fc.jsonValue()), (d) => {
        try {
          compilePolicy(validatePolicy(d));
        } catch (err) {
          if (!(err instanceof PolicyError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});
