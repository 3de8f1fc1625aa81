import fc from 'fast-check';
import { join } from 'node:path';
import { csvLine } from '../src/http/api-event';
import { startServer, tempDir, wire } from './helpers';

/**
 * Reads CSV as a spreadsheet does when told the separator: a quote opens a quoted cell only
 * at the start of a cell; anywhere else it is a plain character. Rows end at CR, LF or CRLF.
 */
function spreadsheetCells(text: string, separator: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else cell += text[i++];
      }
    }
    while (i < text.length && text[i] !== separator && text[i] !== '\r' && text[i] !== '\n')
      cell += text[i++];
    cells.push(cell);
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    i++;
  }
  return cells;
}

/** What a spreadsheet would run as a formula (or whose start a tab or CR would hide). */
const FORMULA = /^ *[=+\-@\t\r]/;
/** A formula as a reader splitting on another separator may see it, after white space. */
const FORMULA_ELSEWHERE = /^\s*[=+\-@]/;

const SEPARATORS = [',', ';', '\t', '|'];

const hostile = [
  '=HYPERLINK("http://evil.example","click")',
  '+1+1',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1+1',
  '\r=1+1',
  ' =1+1',
  'ok;=1+1',
  'ok\t=1+1',
  'ok|@x',
  'a,b;-1',
  'line\n=1+1',
  'line\r\n+1',
  'say "hi", then =x',
  'ok;"=1+1"',
];

describe('CSV export', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  test('no cell of an export reads as a formula, whatever separator the spreadsheet splits on', async () => {
    const t = await startServer({ db: join(dir.dir, 'csv.db') });
    try {
      const events = hostile.map((value) =>
        wire({
          agent_name: value,
          scope: value,
          function_name: value,
          session_id: value,
          metadata: { note: value },
        }),
      );
      expect((await t.ingest(events)).status).toBe(200);
      const res = await fetch(`${t.url}/api/projects/${t.projectId}/export?format=csv`, {
        headers: { authorization: `Bearer ${t.readToken}` },
      });
      expect(res.status).toBe(200);
      const csv = await res.text();
      for (const separator of SEPARATORS) {
        const formula = separator === ',' ? FORMULA : FORMULA_ELSEWHERE;
        const risky = spreadsheetCells(csv, separator).filter((cell) => formula.test(cell));
        expect({ separator, risky }).toEqual({ separator, risky: [] });
      }
      // Read with the comma, each value comes back whole: quoted where it holds a comma, a
      // quote or a line break, and behind a ' where a part of it looked like a formula.
      const cells = spreadsheetCells(csv, ',');
      expect(cells).toContain('\'=HYPERLINK("http://evil.example","click")');
      expect(cells).toContain("ok;'=1+1");
      expect(cells).toContain("line\n'=1+1");
      expect(cells).toContain('say "hi", then =x');
      const metadata = cells.filter((c) => c.startsWith('{'));
      expect(metadata.map((c) => JSON.parse(c).note)).toHaveLength(hostile.length);
    } finally {
      await t.server.close();
    }
  });

  test('for any cells: no formula under any separator, and cells without one read back unchanged', () => {
    const char = fc.constantFrom('a', ' ', ',', ';', '\t', '|', '\r', '\n', '"', '=', '+', '-', '@', "'");
    const cell = fc.array(char, { maxLength: 12 }).map((c) => c.join(''));
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 4 }), (row) => {
        const line = csvLine(row);
        for (const separator of SEPARATORS) {
          const formula = separator === ',' ? FORMULA : FORMULA_ELSEWHERE;
          expect(spreadsheetCells(line, separator).filter((c) => formula.test(c))).toEqual([]);
        }
        const read = spreadsheetCells(line, ',');
        expect(read).toHaveLength(row.length);
        row.forEach((value, i) => {
          if (!/(^|[;\t|\r\n])[ "]*[=+\-@\t\r]/.test(value)) expect(read[i]).toBe(value);
        });
      }),
      { numRuns: 3000 },
    );
  });
});
