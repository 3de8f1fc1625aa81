/*
 * One rule for what a login email may be, for the accounts the CLI creates and the emails the
 * login page receives. No whitespace, no control or format characters (an email is shown in
 * the CLI's listings and the dashboard), one @ with something on each side, at most 254
 * characters (RFC 5321's path limit).
 */
const EMAIL = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+$/u;

/**
 * How emails are compared: trimmed, in lower case.
 *
 * @example
 * ```ts
 * normalizeEmail(' Ops@Example.com '); // 'ops@example.com'
 * ```
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * True when a normalized email could belong to a dashboard user.
 *
 * @example
 * ```ts
 * isUserEmail('ops@example.com'); // true
 * isUserEmail('ops\x1b[8m@example.com'); // false
 * ```
 */
export function isUserEmail(normalized: string): boolean {
  return normalized.length <= 254 && EMAIL.test(normalized);
}
