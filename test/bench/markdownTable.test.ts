import { describe, expect, it } from 'vitest';
import { markdownTable } from '../../bench/markdownTable.js';

describe('markdownTable', () => {
  it('pads cells to a common width and marks right-aligned columns', () => {
    const table = markdownTable(
      [{ header: 'client' }, { header: 'success', align: 'right' }],
      [
        ['naive loop', '100%'],
        ['sdk', '18.5%'],
      ],
    );
    expect(table).toBe(
      [
        '| client     | success |',
        '| ---------- | ------: |',
        '| naive loop |    100% |',
        '| sdk        |   18.5% |',
      ].join('\n'),
    );
  });

  it('escapes a pipe inside a cell so the row keeps its columns', () => {
    const table = markdownTable([{ header: 'a|b' }], [['x|y']]);
    const lines = table.split('\n');
    expect(lines[0]).toBe('| a\\|b |');
    expect(lines[2]).toBe('| x\\|y |');
  });

  it('refuses a row with the wrong number of cells', () => {
    expect(() => markdownTable([{ header: 'a' }, { header: 'b' }], [['1']])).toThrow(
      /row 0 has 1 cells, expected 2/,
    );
    expect(() => markdownTable([], [])).toThrow(TypeError);
  });
});
