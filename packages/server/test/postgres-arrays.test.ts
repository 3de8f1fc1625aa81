import fc from 'fast-check';
import { Client } from 'pg';
import { columnArrays, unnestRows } from '../src/storage/postgres-arrays';
import { freshDatabase } from './helpers';

/*
 * The array literals the writer and the rollups send instead of JS arrays: whatever a row
 * holds (any text PostgreSQL can store, numbers, NULL), unnest(…) gives it back as it was.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: Client;

beforeAll(async () => {
  db = await freshDatabase();
  client = new Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const SQL = (() => {
  let i = 0;
  return `${unnestRows(['text', 'bigint', 'integer'])}`.replace(/\?/g, () => `$${++i}`);
})();

async function roundTrip(rows: (string | number | null)[][]): Promise<unknown[][]> {
  const { rows: out } = await client.query({ text: SQL, values: columnArrays(rows, 3), rowMode: 'array' });
  return (out as [string | null, string | null, number | null][]).map(([t, b, n]) => [
    t,
    b === null ? null : Number(b),
    n,
  ]);
}

test('text with quotes, backslashes, braces, commas, NULL as a word and unicode comes back as sent', async () => {
  const odd = [
    '"quoted"',
    'back\\slash',
    '\\"',
    '{braces}',
    'a,b',
    'NULL',
    'null',
    '',
    ' ',
    '🙂 ünïcödé 漢字',
    '\t\n',
  ];
  const rows = odd.map((t, i) => [t, i * 1_000_000_000_000, i % 2]);
  expect(await roundTrip(rows)).toEqual(rows);
});

test('null is NULL in every column, a microsecond time keeps every digit', async () => {
  const rows = [
    [null, null, null],
    ['x', 1_767_225_600_123_456, 1],
  ];
  expect(await roundTrip(rows)).toEqual(rows);
});

test('any text without NUL, any safe integer, or NULL, round-trips', async () => {
  const value = fc.tuple(
    fc.option(
      fc.oneof(
        // What an array literal gives a meaning to, often; and any other text without NUL.
        fc.string({
          unit: fc.constantFrom('"', '\\', '{', '}', ',', ' ', 'N', 'U', 'L', 'é', '🙂'),
          maxLength: 12,
        }),
        fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.split(String.fromCharCode(0)).join('')),
      ),
      { nil: null },
    ),
    fc.option(fc.maxSafeInteger(), { nil: null }),
    fc.option(fc.integer(), { nil: null }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 20 }), async (rows) => {
      expect(await roundTrip(rows)).toEqual(rows);
    }),
    { numRuns: 200 },
  );
});

test('a number with no literal (NaN, Infinity) is refused before it is sent', () => {
  expect(() => columnArrays([[Number.NaN]], 1)).toThrow(/cannot store NaN/);
  expect(() => columnArrays([[Infinity]], 1)).toThrow(/cannot store Infinity/);
});
