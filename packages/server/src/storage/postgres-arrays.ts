/*
 * PostgreSQL's way to send many rows in one statement: one array parameter per column,
 * turned back into rows by `unnest(…)`. The statement text stays the same whatever the
 * number of rows (one parsed plan, no per-size text), and the parameter count stays at the
 * number of columns (a multi-row VALUES needs rows × columns parameters, each parsed and
 * bound on its own). node-postgres sends a JS array as a PostgreSQL array literal.
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
 * Rows as one array per column, the parameters of {@link unnestRows}.
 *
 * @example
 * ```ts
 * columnArrays([['x', 1], ['y', 2]], 2); // [['x', 'y'], [1, 2]]
 * ```
 */
export function columnArrays(rows: readonly (readonly unknown[])[], columns: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: columns }, () => new Array(rows.length));
  rows.forEach((row, r) => {
    for (let c = 0; c < columns; c++) out[c][r] = row[c];
  });
  return out;
}
