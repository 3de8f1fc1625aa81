const placeholderCache = new Map<string, string>();

/**
 * `(?, ?), (?, ?)` for rows × cols, built once per shape (ingest reuses a few shapes).
 *
 * @example
 * ```ts
 * placeholders(2, 3); // '(?, ?, ?), (?, ?, ?)'
 * `WHERE key IN ${placeholders(1, keys.length)}`;
 * ```
 */
export function placeholders(rows: number, cols: number): string {
  const key = `${rows}x${cols}`;
  let text = placeholderCache.get(key);
  if (text === undefined) {
    const row = `(${new Array(cols).fill('?').join(', ')})`;
    text = new Array(rows).fill(row).join(', ');
    if (placeholderCache.size > 4096) placeholderCache.clear();
    placeholderCache.set(key, text);
  }
  return text;
}

/**
 * Escapes `\`, `%` and `_` for a `LIKE … ESCAPE '\'` pattern, so user text matches itself.
 *
 * @example
 * ```ts
 * `${escapeLike('as_Jx%')}%`; // 'as\_Jx\%%'
 * ```
 */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
