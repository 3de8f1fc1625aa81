import { createHmac, randomBytes, type Hmac } from 'node:crypto';
import { types } from 'node:util';

/**
 * Why a call's arguments have no digest: `kind` names the value's type and `path` where it
 * sits (`args[1].items[3]`). Such a call cannot be bound to an approval, so it is refused.
 *
 * @example
 * ```ts
 * const result = digestArgs([Promise.resolve(1)]);
 * if (!result.ok) console.log(result.error.path); // 'args[0]'
 * ```
 */
export class ArgsDigestError extends Error {
  constructor(
    /** Where the value sits, e.g. `args[0].items[3]`. */
    readonly path: string,
    /** What made it unusable, e.g. `a Promise`, `an accessor property`, `too deep`. */
    readonly kind: string,
  ) {
    super(
      `The argument at ${path} (${kind}) cannot be digested, so the call cannot be bound to an approval ` +
        `and is refused. Pass plain data (objects, arrays, strings, numbers, Dates, Buffers, Maps, Sets) ` +
        `to functions guarded by cloudApproval.`,
    );
    this.name = 'ArgsDigestError';
  }
}

/**
 * The digest of a call's arguments, or why there is none. Never thrown.
 *
 * @example
 * ```ts
 * const d: DigestResult = digestArgs(['o-7', 120]);
 * if (d.ok) console.log(d.digest.length); // 64
 * ```
 */
export type DigestResult = { ok: true; digest: string } | { ok: false; error: ArgsDigestError };

/** Values visited per call at most: bounds the work a hostile (or huge) argument can cause. */
const MAX_NODES = 100_000;
/** Nesting at most: bounds recursion. */
const MAX_DEPTH = 64;

let processKey: Buffer | undefined;

/**
 * This process's digest key: 32 random bytes, made on first use and never sent anywhere,
 * so the server cannot test a guess of the arguments against a digest.
 */
function digestKey(): Buffer {
  return (processKey ??= randomBytes(32));
}

/**
 * HMAC-SHA256 (hex) of a canonical serialization of `args`, keyed with this process's
 * secret (or `key`). Equal values give equal digests whatever their key order; values of
 * different types never collide (`1`, `'1'`, `1n` differ). Never throws: a value that
 * cannot be serialized (a Promise, a WeakMap, an own getter, more than 64 levels or
 * 100,000 values) gives `{ ok: false }`. The rules:
 * - objects: own enumerable string keys, sorted; the class name is part of it; symbol keys
 *   are left out; an own accessor property is refused rather than run;
 * - `undefined`, `null`, booleans, numbers (`-0`, `NaN` distinct), bigints, strings (every
 *   UTF-16 unit, lone surrogates too), registered symbols by key, other symbols by description;
 * - Dates by time, RegExps by source and flags, Buffers, typed arrays, ArrayBuffers and
 *   DataViews by bytes, Maps and Sets by content whatever their order;
 * - functions by identity in this process (the same function object, the same digest);
 * - a cycle as a reference to the enclosing value it returns to.
 *
 * @example
 * ```ts
 * digestArgs([{ b: 1, a: 2 }]).digest === digestArgs([{ a: 2, b: 1 }]).digest; // true
 * ```
 */
export function digestArgs(args: readonly unknown[], key: Buffer = digestKey()): DigestResult {
  try {
    const hmac = createHmac('sha256', key);
    new Canonical(key).write(hmac, args, 'args', 0);
    return { ok: true, digest: hmac.digest('hex') };
  } catch (err) {
    if (err instanceof ArgsDigestError) return { ok: false, error: err };
    // A Proxy trap, a throwing toString on a hostile object, a stack overflow: refused.
    return { ok: false, error: new ArgsDigestError('args', `unreadable: ${safeMessage(err)}`) };
  }
}

/** Per-process identities of functions, for digests that tell two callbacks apart. */
const functionIds = new WeakMap<object, string>();

/** Writes one value's canonical form into an HMAC; throws ArgsDigestError on what it refuses. */
class Canonical {
  private nodes = 0;
  /** The values being written, outermost first: a value met again inside itself is a cycle. */
  private readonly ancestors: object[] = [];

  constructor(private readonly key: Buffer) {}

  write(out: Hmac, value: unknown, path: string, depth: number): void {
    if (++this.nodes > MAX_NODES) throw new ArgsDigestError(path, `more than ${MAX_NODES} values`);
    switch (typeof value) {
      case 'undefined':
        return void out.update('u;');
      case 'boolean':
        return void out.update(value ? 't;' : 'f;');
      case 'number':
        return void out.update(`d${Object.is(value, -0) ? '-0' : String(value)};`);
      case 'bigint':
        return void out.update(`i${value.toString()};`);
      case 'string':
        return this.text(out, 's', value);
      case 'symbol': {
        const registered = Symbol.keyFor(value);
        return registered !== undefined
          ? this.text(out, 'Y', registered)
          : this.text(out, 'y', value.description ?? '');
      }
      case 'function':
        return this.text(out, 'F', functionId(value));
    }
    if (value === null) return void out.update('n;');
    const object = value as object;
    const cycle = this.ancestors.indexOf(object);
    if (cycle >= 0) return void out.update(`r${this.ancestors.length - cycle};`);
    if (depth >= MAX_DEPTH) throw new ArgsDigestError(path, `nested deeper than ${MAX_DEPTH} levels`);
    this.ancestors.push(object);
    try {
      this.object(out, object, path, depth + 1);
    } finally {
      this.ancestors.pop();
    }
  }

  private object(out: Hmac, value: object, path: string, depth: number): void {
    if (
      types.isPromise(value) ||
      types.isWeakMap(value) ||
      types.isWeakSet(value) ||
      value instanceof WeakRef
    ) {
      throw new ArgsDigestError(path, `a ${className(value)}, whose content cannot be read`);
    }
    if (types.isDate(value)) return void out.update(`D${Date.prototype.getTime.call(value)};`);
    if (types.isRegExp(value)) {
      const re = value as RegExp;
      this.text(out, 'R', re.source);
      return this.text(out, '/', re.flags);
    }
    if (types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value)) return this.bytes(out, value, path);
    if (types.isMap(value)) {
      const map = value as Map<unknown, unknown>;
      return this.unordered(out, 'M', map.size, map.entries(), path, depth);
    }
    if (types.isSet(value)) {
      const set = value as Set<unknown>;
      return this.unordered(out, 'S', set.size, set.values(), path, depth);
    }
    if (Array.isArray(value)) {
      if (value.length > MAX_NODES) throw new ArgsDigestError(path, `an array of ${value.length} items`);
      out.update(`a${value.length}:`);
      for (let i = 0; i < value.length; i++) this.write(out, value[i], `${path}[${i}]`, depth);
      return;
    }
    const descriptors = Object.getOwnPropertyDescriptors(value);
    const keys = Object.keys(descriptors)
      .filter((k) => descriptors[k].enumerable)
      .sort();
    this.text(out, 'o', className(value));
    out.update(`${keys.length}:`);
    for (const k of keys) {
      const at = `${path}.${k}`;
      if (!('value' in descriptors[k])) throw new ArgsDigestError(at, 'an accessor property, not run');
      this.text(out, 'k', k);
      this.write(out, descriptors[k].value, at, depth);
    }
  }

  /** Strings are length-prefixed and hashed as UTF-16, so every string has one encoding. */
  private text(out: Hmac, tag: string, s: string): void {
    out.update(`${tag}${s.length}:`);
    out.update(s, 'utf16le');
  }

  private bytes(out: Hmac, value: ArrayBufferLike | ArrayBufferView, path: string): void {
    const view = ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : new Uint8Array(value);
    if (view.byteLength > 64 * 1024 * 1024) throw new ArgsDigestError(path, `${view.byteLength} bytes`);
    this.text(out, 'B', className(value));
    out.update(`${view.byteLength}:`);
    out.update(view);
  }

  /** Maps and Sets: each entry digested alone, the digests sorted, so insertion order does not count. */
  private unordered(
    out: Hmac,
    tag: string,
    size: number,
    entries: Iterable<unknown>,
    path: string,
    depth: number,
  ): void {
    if (size > MAX_NODES) throw new ArgsDigestError(path, `a collection of ${size} entries`);
    const digests: string[] = [];
    let i = 0;
    for (const entry of entries) {
      const one = createHmac('sha256', this.key);
      this.write(one, entry, `${path}<${i++}>`, depth);
      digests.push(one.digest('hex'));
    }
    out.update(`${tag}${digests.length}:${digests.sort().join(',')};`);
  }
}

function functionId(fn: object): string {
  let id = functionIds.get(fn);
  if (id === undefined) {
    id = randomBytes(16).toString('hex');
    functionIds.set(fn, id);
  }
  return id;
}

/** The class a value was made by (`Object` for plain objects, `null` for null-prototype ones). */
function className(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null) return 'null';
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
  return typeof ctor === 'function' && typeof ctor.name === 'string' ? ctor.name : 'Object';
}

function safeMessage(err: unknown): string {
  try {
    return err instanceof Error ? err.message : typeof err;
  } catch {
    return 'error';
  }
}
