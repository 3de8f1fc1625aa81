/**
 * Lays rows out as a plain-text table with a header, columns padded to their widest
 * cell. Cells hold no emoji, so string length equals display width.
 *
 * @example
 * ```ts
 * renderTable(['AGENT', 'SCOPE'], [['SupportBot', 'write:refunds']]);
 * // AGENT       SCOPE
 * // SupportBot  write:refunds
 * ```
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
