import type { Guard } from '@agentsudo/core';
import { ibanValid, luhnValid } from './checksums';
import { GuardOptionsError } from './errors';
import { resolveAction, resolveWalk, textGuard, type WalkOptions } from './text-guard';

/**
 * The kinds of personal data {@link pii} looks for; a finding's `rule` is `pii.<kind>`.
 *
 * @example
 * ```ts
 * pii({ kinds: ['card', 'iban'] }); // payment data only
 * ```
 */
export type PiiKind = 'email' | 'card' | 'iban' | 'phone';

const KINDS: readonly PiiKind[] = ['email', 'card', 'iban', 'phone'];

/**
 * Options of {@link pii}.
 *
 * @example
 * ```ts
 * const options: PiiOptions = { mode: 'flag', kinds: ['email', 'phone'] };
 * ```
 */
export interface PiiOptions extends WalkOptions {
  /** `'refuse'` (the default) stops the call; `'flag'` lets it run and records the finding on its event. */
  readonly mode?: 'refuse' | 'flag';
  /** What to look for; all four unless told. */
  readonly kinds?: readonly PiiKind[];
}

/** Each detector finds candidates with a linear pattern, then checks them (Luhn, mod-97, digit count). */
const DETECTORS: Record<PiiKind, { says: string; found: (text: string) => boolean }> = {
  email: {
    says: 'holds an email address',
    found: (text) =>
      /[A-Za-z0-9._%+-]@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/.test(text),
  },
  card: {
    says: 'holds a payment card number (Luhn-valid)',
    found: (text) => {
      for (const [run] of text.matchAll(/(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g)) {
        const digits = run.replace(/[ -]/g, '');
        // Issuer prefixes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay) halve false alarms.
        if (/^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6[0245])/.test(digits) && luhnValid(digits)) return true;
      }
      return false;
    },
  },
  iban: {
    says: 'holds an IBAN (mod-97 valid)',
    found: (text) => {
      const candidates = text.matchAll(
        /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9])/g,
      );
      for (const [run] of candidates) if (ibanValid(run.replace(/ /g, ''))) return true;
      return false;
    },
  },
  phone: {
    says: 'holds a phone number',
    found: (text) => {
      // International form: +, country code, 8 to 15 digits in all.
      for (const [run] of text.matchAll(/(?<![\w+])\+\d[\d ().-]{6,22}\d(?!\d)/g)) {
        const digits = run.replace(/\D/g, '').length;
        if (digits >= 8 && digits <= 15) return true;
      }
      // National forms: North American (555) 123-4567 / 555-123-4567, French 06 12 34 56 78,
      // British 07700 900123; each needs its separators, so bare numbers (order ids) pass.
      return /(?<![\w-])(?:\(\d{3}\) ?\d{3}[-.]\d{4}|\d{3}[-.]\d{3}[-.]\d{4}|0\d(?:[ .]\d{2}){4}|0\d{4} \d{6})(?![\w-])/.test(
        text,
      );
    },
  },
};

/**
 * A guard for personal data in arguments: email addresses, payment card numbers (Luhn-checked,
 * known issuer prefixes), IBANs (mod-97-checked) and phone numbers (international `+` form and
 * the North American, French and British national forms). It refuses the call, or with
 * `mode: 'flag'` lets it run and records the finding on its event. The finding names the
 * argument and the kind, never the value.
 *
 * @example
 * ```ts
 * @Sudo('write:tickets', { guards: [pii({ mode: 'flag' })] })
 * openTicket(subject: string, body: string) { … }
 * ```
 */
export function pii(options: PiiOptions = {}): Guard {
  const name = 'pii';
  const walk = resolveWalk(name, options);
  const action = resolveAction(name, 'mode', options.mode, 'refuse');
  const kinds = options.kinds ?? KINDS;
  if (!Array.isArray(kinds as unknown) || kinds.length === 0 || kinds.some((k) => !KINDS.includes(k))) {
    throw new GuardOptionsError(name, 'kinds', kinds, `pass a non-empty list from: ${KINDS.join(', ')}`);
  }
  return textGuard(name, walk, ({ path, text }) => {
    // Every kind needs a digit or an @; most text has neither and costs one scan.
    if (!/[\d@]/.test(text)) return undefined;
    for (const kind of kinds) {
      if (DETECTORS[kind].found(text))
        return { action, rule: `${name}.${kind}`, message: `${path} ${DETECTORS[kind].says}` };
    }
    return undefined;
  });
}
