/** A table column: its header and how its cells line up (numbers read best right-aligned). */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * A GitHub-flavoured markdown table whose cells are padded to a common width, so the same text
 * reads as a table both in a terminal and rendered. A `|` inside a cell is escaped; every row must
 * have one cell per column. Columns are left-aligned unless `align: 'right'`.
 */
export function markdownTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  if (columns.length === 0) throw new TypeError('markdownTable: at least one column is needed');
  for (const [index, row] of rows.entries()) {
    if (row.length !== columns.length) {
      throw new TypeError(
        `markdownTable: row ${index} has ${row.length} cells, expected ${columns.length}`,
      );
    }
  }
  const escapePipes = (cell: string): string => cell.replaceAll('|', '\\|');
  const body = rows.map((row) => row.map(escapePipes));
  const headers = columns.map((column) => escapePipes(column.header));
  const widths = columns.map((_, i) =>
    Math.max(3, headers[i]?.length ?? 0, ...body.map((row) => row[i]?.length ?? 0)),
  );
  const pad = (cell: string, i: number): string => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
  };
  const line = (cells: readonly string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = columns.map((column, i) => {
    const dashes = '-'.repeat(widths[i] ?? 3);
    return column.align === 'right' ? `${dashes.slice(1)}:` : dashes;
  });
  return [line(headers), `| ${rule.join(' | ')} |`, ...body.map(line)].join('\n');
}
