import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { digestArgs } from '../src/approval-digest';

const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});
const digestOf = (args: unknown[], key?: Buffer) => {
  const result = digestArgs(args, key);
  if (!result.ok) throw result.error;
  return result.digest;
};

describe('the argument digest', () => {
  it('never throws, whatever the arguments', () => {
    fc.assert(
      fc.property(fc.array(anything), (args) => {
        const result = digestArgs(args);
        expect(result.ok ? /^[0-9a-f]{64}$/.test(result.digest) : result.error.message.length > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is equal for equal values, made separately, whatever their key order', () => {
    fc.assert(
      fc.property(fc.clone(fc.array(anything), 2), ([a, b]) => {
        expect(digestOf(a)).toBe(digestOf(b));
      }),
      { numRuns: 500 },
    );
    expect(
      digestOf([
        {
          a: 1,
          b: {
            c: [1, 2],
            d: new Map([
              [1, 2],
              [3, 4],
            ]),
          },
        },
      ]),
    ).toBe(
      digestOf([
        {
          b: {
            d: new Map([
              [3, 4],
              [1, 2],
            ]),
            c: [1, 2],
          },
          a: 1,
        },
      ]),
    );
  });

  it("differs across processes' secrets", () => {
    fc.assert(
      fc.property(fc.array(anything), (args) => {
        const here = digestArgs(args, randomBytes(32));
        const there = digestArgs(args, randomBytes(32));
        if (here.ok && there.ok) expect(here.digest).not.toBe(there.digest);
      }),
      { numRuns: 200 },
    );
  });

  it('tells apart values of different types or content', () => {
    const variants: unknown[][] = [
      [1],
      ['1'],
      [1n],
      [true],
      [null],
      [undefined],
      [],
      [[]],
      [{}],
      [-0],
      [0],
      [NaN],
      ['a', 'b'],
      ['ab'],
      [['a', 'b']],
      [{ a: 'b' }],
      [new Map([['a', 'b']])],
      [new Set(['a', 'b'])],
      [new Date(0)],
      [new Date(1)],
      [Buffer.from('ab')],
      [new Uint8Array([97, 98])],
      [/a/g],
      [/a/],
      ['\uD800'],
      ['\uDC00'],
      [Symbol.for('a')],
      [() => 1],
      [() => 1],
    ];
    const digests = variants.map((v) => digestOf(v));
    expect(new Set(digests).size).toBe(variants.length);
  });

  it('digests cycles, and refuses what cannot be serialized instead of throwing', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(digestArgs([cyclic]).ok).toBe(true);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const getter = Object.defineProperty({}, 'amount', { enumerable: true, get: () => 1 });
    for (const bad of [Promise.resolve(1), new WeakMap(), deep, hostile, getter, new Array(1e7)]) {
      const result = digestArgs([bad]);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.path).toMatch(/^args/);
    }
    expect(digestArgs([{ amount: 1 }, getter])).toMatchObject({
      ok: false,
      error: { path: 'args[1].amount' },
    });
  });
});
