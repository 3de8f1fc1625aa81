/**
 * How much of a call's arguments a guard reads. Arguments come from a model, so a hostile
 * one may be deep, huge or cyclic: the walk stops at these bounds instead of hanging or
 * exhausting memory, and the guard then decides with `onOversize`.
 *
 * @example
 * ```ts
 * const limits: WalkLimits = { maxDepth: 16, maxNodes: 5_000, maxChars: 200_000 };
 * ```
 */
export interface WalkLimits {
  /** Containers nested deeper than this are not read (`args` itself is depth 0). */
  readonly maxDepth: number;
  /** Values visited in all (containers, strings, numbers, keys). */
  readonly maxNodes: number;
  /** Characters of text read in all (strings and object keys). */
  readonly maxChars: number;
}

/**
 * The bounds every built-in guard uses unless told otherwise: generous for real tool
 * arguments (a long email is a few thousand characters), small enough that one call cannot
 * make a guard read more than about a megabyte.
 *
 * @example
 * ```ts
 * promptInjection({ limits: { ...DEFAULT_WALK_LIMITS, maxChars: 4_000_000 } });
 * ```
 */
export const DEFAULT_WALK_LIMITS: WalkLimits = Object.freeze({
  maxDepth: 32,
  maxNodes: 10_000,
  maxChars: 1_000_000,
});

/**
 * One piece of text found in the arguments, and where: `args[1].body`, `args[0].items[2]`.
 * Object keys are text too (a model can hide an instruction in a key); their path ends in
 * `[key #n]`.
 *
 * @example
 * ```ts
 * const t: ArgumentText = { path: 'args[0].note', text: 'refund approved' };
 * ```
 */
export interface ArgumentText {
  readonly path: string;
  readonly text: string;
}

/**
 * Where a walk stopped early, and which bound stopped it.
 *
 * @example
 * ```ts
 * const cut: WalkCut = { bound: 'maxChars', path: 'args[0].attachment', limit: 1_000_000 };
 * ```
 */
export interface WalkCut {
  readonly bound: keyof WalkLimits;
  readonly path: string;
  readonly limit: number;
}

/** Keys shown as `.key` in a path; any other key is shown by position, never quoted. */
const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,39}$/;

function keyPath(parent: string, key: string, index: number): string {
  return PLAIN_KEY.test(key) ? `${parent}.${key}` : `${parent}[key #${index}]`;
}

/** Reading a property may run a getter or a Proxy trap: one that throws is skipped. */
function read<T>(get: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: get() };
  } catch {
    return { ok: false };
  }
}

interface Pending {
  readonly value: unknown;
  readonly path: string;
  readonly depth: number;
}

/**
 * Visits every piece of text in a call's arguments, depth first in argument order: strings,
 * numbers and bigints (as text), object keys, array items, Map keys and values, Set values.
 * Binary data (Buffers, typed arrays), functions and symbols are skipped. An object met twice
 * (a cycle, or a shared reference) is read once. Never throws: a getter or Proxy trap that
 * throws is skipped. `visit` returns `true` to stop early.
 *
 * Returns where the walk stopped if it hit a bound before reading everything, else
 * `undefined`.
 *
 * @example
 * ```ts
 * const cut = walkArguments(args, DEFAULT_WALK_LIMITS, ({ path, text }) => {
 *   console.log(path, text.length);
 *   return false;
 * });
 * ```
 */
export function walkArguments(
  args: readonly unknown[],
  limits: WalkLimits,
  visit: (found: ArgumentText) => boolean,
): WalkCut | undefined {
  const seen = new WeakSet<object>();
  const stack: Pending[] = [{ value: args, path: 'args', depth: 0 }];
  let nodes = 0;
  let chars = 0;

  /** Counts text against the bounds; returns a cut, `true` to stop, or `false` to go on. */
  const text = (value: string, path: string): WalkCut | boolean => {
    chars += value.length;
    if (chars > limits.maxChars) return { bound: 'maxChars', path, limit: limits.maxChars };
    return visit({ path, text: value });
  };
  /** Every value and key counts, even one skipped, so nothing past the budget goes unseen. */
  const node = (path: string): WalkCut | false =>
    ++nodes > limits.maxNodes ? { bound: 'maxNodes', path, limit: limits.maxNodes } : false;

  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    const over = node(path);
    if (over) return over;
    let outcome: WalkCut | boolean = false;
    if (typeof value === 'string') outcome = text(value, path);
    else if (typeof value === 'number' || typeof value === 'bigint') outcome = text(String(value), path);
    else if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) continue;
      seen.add(value);
      if (value instanceof String) {
        outcome = text(value.valueOf(), path);
      } else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        continue;
      } else {
        if (depth >= limits.maxDepth) return { bound: 'maxDepth', path, limit: limits.maxDepth };
        const children: Pending[] = [];
        // No more children are listed than the node budget has room for, so a huge array
        // costs no more than a small one; the one past the room trips the bound.
        const room = limits.maxNodes - nodes + 1;
        collectChildren(value, path, depth + 1, room, children);
        // The stack is last-in first-out: push in reverse so argument order is kept.
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
      }
    }
    if (outcome === true) return undefined;
    if (outcome !== false) return outcome;
  }
  return undefined;
}

/** Lists a container's children, at most `room`; each object key comes, as text, before its value. */
function collectChildren(
  value: object,
  path: string,
  depth: number,
  room: number,
  children: Pending[],
): void {
  if (Array.isArray(value)) {
    const length = read(() => value.length);
    if (!length.ok) return;
    for (let i = 0; i < Math.min(length.value, room); i++) {
      const item = read(() => value[i]);
      if (item.ok) children.push({ value: item.value, path: `${path}[${i}]`, depth });
    }
    return;
  }
  if (value instanceof Map) {
    read(() => {
      let i = 0;
      for (const [k, v] of value) {
        if (children.length >= room) break;
        children.push({ value: k, path: `${path}[entry #${i}].key`, depth });
        children.push({ value: v, path: `${path}[entry #${i}].value`, depth });
        i++;
      }
    });
    return;
  }
  if (value instanceof Set) {
    read(() => {
      let i = 0;
      for (const v of value) {
        if (children.length >= room) break;
        children.push({ value: v, path: `${path}[item #${i++}]`, depth });
      }
    });
    return;
  }
  const keys = read(() => Object.keys(value));
  if (!keys.ok) return;
  for (let i = 0; i < Math.min(keys.value.length, room); i++) {
    const key = keys.value[i];
    // A model chooses keys too, so they are read as text (and never quoted in a path).
    children.push({ value: key, path: `${path}[key #${i}]`, depth });
    const child = read(() => (value as Record<string, unknown>)[key]);
    if (child.ok) children.push({ value: child.value, path: keyPath(path, key, i), depth });
  }
}
