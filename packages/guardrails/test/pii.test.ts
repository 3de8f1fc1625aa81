import { GuardOptionsError, ibanValid, luhnValid, pii } from '@agentsudo/guardrails';
import { ctx } from './context';

const ruleOf = (text: string) => (pii().inspect([text], ctx) as { rule: string } | undefined)?.rule;

describe('pii()', () => {
  it.each([
    ['email', 'Contact jane.miller@example.org about it'],
    ['card', 'card 4111 1111 1111 1111 please'],
    ['card', 'Amex 3782 822463 10005'],
    ['iban', 'send to DE89 3704 0044 0532 0130 00 thanks'],
    ['iban', 'IBAN ES9121000418450200051332'],
    ['phone', 'call +44 20 7946 0958'],
    ['phone', 'call (555) 201-3344'],
    ['phone', 'Tél. 01 42 68 53 00'],
  ])('refuses %s: %j', (kind, text) => {
    expect(pii().inspect(['t-1', text], ctx)).toEqual({
      action: 'refuse',
      rule: `pii.${kind}`,
      message: expect.stringMatching(/^args\[1\] holds /),
    });
  });

  it.each([
    'card 4111 1111 1111 1112', // fails Luhn
    'order 1234567890123',
    'ref DE00 1234 5678 9012 3456 78', // fails mod-97
    'placed 2024-03-17, RMA 7781-2234',
    'ISBN 978-3-16-148410-0',
    'Visa •••• 1881',
    'thanks @acme_support',
  ])('lets through what only looks like PII: %j', (text) => {
    expect(ruleOf(text)).toBeUndefined();
  });

  it('checks Luhn and mod-97 digits', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
  });

  it('only flags in flag mode, so the call runs and its event says why', () => {
    expect(pii({ mode: 'flag' }).inspect(['mail jo@example.com'], ctx)).toMatchObject({
      action: 'flag',
      rule: 'pii.email',
    });
  });

  it('looks only for the kinds it is told', () => {
    expect(pii({ kinds: ['card'] }).inspect(['mail jo@example.com'], ctx)).toBeUndefined();
    expect(() => pii({ kinds: [] })).toThrow(GuardOptionsError);
    expect(() => pii({ kinds: ['ssn' as never] })).toThrow(
      /pass a non-empty list from: email, card, iban, phone/,
    );
  });

  it('never quotes the value it found', () => {
    const finding = pii().inspect([{ card: '4111111111111111' }], ctx) as { message: string };
    expect(finding.message).toBe('args[0].card holds a payment card number (Luhn-valid)');
  });
});
