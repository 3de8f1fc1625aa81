import { ConfigurationError } from './errors';

/**
 * A compiled set of granted scope patterns. Built once per agent; `test()` does no
 * compilation and caches each answer, so a repeated check is one `Map` lookup.
 *
 * @example
 * ```ts
 * const m = compileScopes(['read:*', 'write:orders']);
 * m.test('read:customers'); // true
 * ```
 */
export interface ScopeMatcher {
  /** True when `scope` is granted by any pattern. */
  test(scope: string): boolean;
}

/** More distinct scopes than any real tool set checks; bounds the answer cache. */
const MAX_CACHED_ANSWERS = 4096;

/**
 * Rejects what cannot be a scope: non-strings, empty or blank strings, and strings with
 * surrounding white space. The error names the bad value.
 *
 * @example
 * ```ts
 * assertValidScope('read:customers', 'Sudo'); // ok
 * assertValidScope('  ', 'Sudo'); // throws ConfigurationError
 * ```
 */
export function assertValidScope(scope: unknown, where: string): asserts scope is string {
  if (typeof scope !== 'string') {
    throw new ConfigurationError(
      `${where}: scope must be a string like 'read:customers', got ${describeValue(scope)}.`,
    );
  }
  if (scope.trim() === '') {
    throw new ConfigurationError(
      `${where}: scope ${JSON.stringify(scope)} is blank; use a name like 'read:customers'.`,
    );
  }
  if (scope.trim() !== scope) {
    throw new ConfigurationError(
      `${where}: scope ${JSON.stringify(scope)} has leading or trailing white space; write ${JSON.stringify(scope.trim())}.`,
    );
  }
}

/**
 * Compiles granted patterns. `*` is the only wildcard and matches any run of characters
 * (`read:*`, `write:orders*`, `*`); every other character, regex metacharacters included,
 * matches itself. Matching takes time linear in the pattern times the scope at worst,
 * whatever the pattern: patterns may come from users (a live feed's filter), so none is
 * ever turned into a backtracking regular expression.
 *
 * @example
 * ```ts
 * compileScopes(['read:(a|b)']).test('read:a'); // false: matched literally
 * ```
 */
export function compileScopes(patterns: readonly string[]): ScopeMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const globs: Array<(scope: string) => boolean> = [];
  let all = false;
  for (const p of patterns) {
    const star = p.indexOf('*');
    if (star === -1) exact.add(p);
    else if (/^\*+$/.test(p)) all = true;
    else if (star === p.length - 1) prefixes.push(p.slice(0, -1));
    else globs.push(compileGlob(p));
  }
  const cache = new Map<string, boolean>();
  const compute = (scope: string): boolean =>
    all ||
    exact.has(scope) ||
    prefixes.some((prefix) => scope.startsWith(prefix)) ||
    globs.some((matches) => matches(scope));
  return {
    test(scope: string): boolean {
      const known = cache.get(scope);
      if (known !== undefined) return known;
      const answer = compute(scope);
      if (cache.size < MAX_CACHED_ANSWERS) cache.set(scope, answer);
      return answer;
    },
  };
}

/**
 * A pattern with `*` inside, split once into its literal parts. A scope matches when it
 * starts with the first part, ends with the last, and holds the middle parts in order in
 * between. Each middle part is taken at its leftmost place: that leaves the most room for
 * the parts after it, so a failed search never needs to go back to an earlier part. At most
 * pattern × scope steps, where a backtracking regular expression can take exponential time.
 */
function compileGlob(pattern: string): (scope: string) => boolean {
  const parts = pattern.split('*');
  const head = parts[0];
  const tail = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = head.length + tail.length;
  return (scope) => {
    if (scope.length < fixed || !scope.startsWith(head) || !scope.endsWith(tail)) return false;
    const end = scope.length - tail.length;
    let at = head.length;
    for (const part of middle) {
      const found = scope.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

/**
 * A bad value as an error message names it: `"read:x"`, `null`, `an array`, `number 42`.
 *
 * @example
 * ```ts
 * describeValue(42); // 'number 42'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
