import { GuardOptionsError, topics } from '@agentsudo/guardrails';
import { ctx } from './context';

const gambling = topics({
  deny: [{ name: 'gambling', phrases: ['casino', 'gambl*', 'sports bet', '赌博'] }],
});
const topicOf = (text: string) => (gambling.inspect([text], ctx) as { rule: string } | undefined)?.rule;

describe('topics()', () => {
  it('refuses an argument about a listed topic, naming the topic and the argument', () => {
    expect(gambling.inspect(['ord_1', 'Which casino has the best bonus?'], ctx)).toEqual({
      action: 'refuse',
      rule: 'topics.gambling',
      message: 'args[1] is about gambling',
    });
  });

  it('matches whole words in any case, after Unicode normalisation', () => {
    expect(topicOf('CASINO night')).toBe('topics.gambling');
    expect(topicOf('ｃａｓｉｎｏ')).toBe('topics.gambling');
    expect(topicOf('cas\u200Bino')).toBe('topics.gambling');
    expect(topicOf('casinos')).toBeUndefined();
    expect(topicOf('the casino-style carpet')).toBe('topics.gambling');
  });

  it('matches a phrase across any spacing, and a trailing * as a word prefix', () => {
    expect(topicOf('sports\n  bet')).toBe('topics.gambling');
    expect(topicOf('sports_bet')).toBe('topics.gambling');
    expect(topicOf('gambling debts')).toBe('topics.gambling');
    expect(topicOf('sports betting')).toBeUndefined();
  });

  it('matches phrases of unspaced scripts anywhere', () => {
    expect(topicOf('我不想赌博了')).toBe('topics.gambling');
  });

  it('checks each topic in order and lets other text through', () => {
    const guard = topics({
      deny: [
        { name: 'medical', phrases: ['diagnosis'] },
        { name: 'legal', phrases: ['lawsuit'] },
      ],
    });
    expect(guard.inspect(['a lawsuit about a diagnosis'], ctx)).toMatchObject({ rule: 'topics.medical' });
    expect(guard.inspect(['a refund for a kettle'], ctx)).toBeUndefined();
  });

  it('treats regular-expression characters in phrases as literal text', () => {
    const guard = topics({ deny: [{ name: 'money', phrases: ['$$$', 'c++'] }] });
    expect(guard.inspect(['make $$$ fast'], ctx)).toMatchObject({ rule: 'topics.money' });
    expect(guard.inspect(['make money fast'], ctx)).toBeUndefined();
  });

  it('refuses bad options when built', () => {
    expect(() => topics({ deny: [] })).toThrow(GuardOptionsError);
    expect(() => topics({ deny: [{ name: 'Bad Name', phrases: ['x'] }] })).toThrow(
      /deny\[0\]\.name "Bad Name"/,
    );
    expect(() => topics({ deny: [{ name: 'x', phrases: [''] }] })).toThrow(/deny\[0\]\.phrases\[0\] ""/);
    expect(() => topics({ deny: [{ name: 'x', phrases: [] }] })).toThrow(/pass 1 to 1000 phrases/);
  });
});
