/*
 * PostgreSQL's way to send many rows in one statement: one array parameter per column,
 * turned back into rows by `unnest(…)`. The statement text stays the same whatever the
 * number of rows (one parsed plan, no per-size text), and the parameter count stays at the
 * number of columns (a multi-row VALUES needs rows × columns parameters, each parsed and
 * bound on its own).
 *
 * Each array goes as its text literal (`{"a","b",NULL}`), built here in one pass: handing
 * node-postgres a JS array costs a type check and two regular-expression replaces per
 * element, which on a 500-event group commit was a few percent of the server's CPU.
 */

/**
 * `SELECT * FROM unnest(?::text[], ?::bigint[], …)`: a row source for `INSERT … SELECT`
 * taking one array per column, of the given PostgreSQL types.
 *
 * @example
 * ```ts
 * const sql = `INSERT INTO t (a, b) ${unnestRows(['text', 'bigint'])} ON CONFLICT DO NOTHING`;
 * await tx.run(sql, columnArrays([['x', 1], ['y', 2]], 2));
 * ```
 */
export function unnestRows(types: readonly string[]): string {
  return `SELECT * FROM unnest(${types.map((t) => `?::${t}[]`).join(', ')})`;
}

/**
 * Rows as one PostgreSQL array literal per column, the parameters of {@link unnestRows}.
 * Values are strings, finite numbers or null (NULL); a string is quoted, with `\` and `"`
 * escaped, so any text arrives as it was (the literal never holds a NUL: text cannot).
 *
 * @example
 * ```ts
 * columnArrays([['x', 1], ['y', null]], 2); // ['{"x","y"}', '{1,NULL}']
 * ```
 */
export function columnArrays(rows: readonly (readonly unknown[])[], columns: number): string[] {
  const out: string[] = [];
  for (let c = 0; c < columns; c++) {
    let literal = '{';
    for (let r = 0; r < rows.length; r++) {
      if (r) literal += ',';
      literal += element(rows[r][c]);
    }
    out.push(literal + '}');
  }
  return out;
}

/** One value inside an array literal. */
function element(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    // A number that is not finite has no literal a bigint or integer column would take.
    if (!Number.isFinite(value)) throw new TypeError(`cannot store ${value} in a PostgreSQL number column`);
    return String(value);
  }
  const text = String(value);
  // Quoted whatever it holds: unquoted, `NULL`, braces, commas and spaces would mean something.
  return text.includes('\\') || text.includes('"') ? `"${text.replace(/[\\"]/g, '\\$&')}"` : `"${text}"`;
}
