import { printable } from '@agentsudo/command-line';

/**
 * Lays rows out as a plain-text table with a header, columns padded to their widest
 * cell. Cells hold no emoji, so string length equals display width. Cells come from events
 * (agent, scope and tool names others chose), so their control characters are shown as
 * escapes: a name cannot fake a row or hide one.
 *
 * @example
 * ```ts
 * renderTable(['AGENT', 'SCOPE'], [['SupportBot', 'write:refunds']]);
 * // AGENT       SCOPE
 * // SupportBot  write:refunds
 * ```
 */
export function renderTable(headers: readonly string[], input: readonly (readonly string[])[]): string {
  const rows = input.map((r) => r.map(printable));
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
