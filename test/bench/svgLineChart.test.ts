import { describe, expect, it } from 'vitest';
import { svgLineChart } from '../../bench/svgLineChart.js';

/**
 * Checks that `text` is well-formed XML as far as an SVG writer can break it: every tag is
 * closed in order, attributes are quoted, and text holds no raw `<` or stray `&`. Returns the
 * element names in document order.
 */
function parseXml(text: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  const token =
    /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos);)/g;
  let match: RegExpExecArray | null = token.exec(text);
  let position = 0;
  while (match !== null) {
    const between = text.slice(position, match.index);
    if (between.trim() !== '' && open.length === 0)
      throw new Error(`text outside the root: ${between}`);
    const [whole, closing, name, , selfClosing] = match;
    if (name === undefined) throw new Error(`stray ${whole} at ${match.index}`);
    if (closing) {
      const expected = open.pop();
      if (expected !== name) throw new Error(`</${name}> closes <${String(expected)}>`);
    } else {
      names.push(name);
      if (!selfClosing) open.push(name);
      else if (names.length === 1) throw new Error('the root is empty');
    }
    position = match.index + whole.length;
    match = token.exec(text);
  }
  if (open.length > 0) throw new Error(`unclosed <${open.join('>, <')}>`);
  if (text.slice(position).trim() !== '') throw new Error('text after the root');
  return names;
}

describe('svgLineChart', () => {
  const series = [
    {
      name: 'openai SDK <retries>',
      points: [
        [0, 0],
        [0.1, 200],
        [0.2, 3],
      ] as const,
    },
    {
      name: 'naive & co',
      points: [
        [0, 20],
        [0.1, 20],
      ] as const,
    },
    { name: "chatPolicy 'cold'", points: [[0, 1]] as const },
  ];

  it('writes well-formed SVG with one polyline per series and escaped labels', () => {
    const svg = svgLineChart({ title: 'S1 "storm"', xLabel: 't (s)', yLabel: 'req', series });
    const names = parseXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(names.filter((n) => n === 'polyline')).toHaveLength(3);
    expect(svg).toContain('openai SDK &lt;retries&gt;');
    expect(svg).toContain('naive &amp; co');
    expect(svg).toContain('S1 &quot;storm&quot;');
  });

  it('places each point inside the plot, the highest value at the top of the y axis', () => {
    const svg = svgLineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series,
      width: 800,
      height: 360,
    });
    const polylines = [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(polylines).toHaveLength(3);
    const first = (polylines[0] ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(first).toHaveLength(3);
    for (const [x, y] of first) {
      expect(x).toBeGreaterThanOrEqual(56);
      expect(x).toBeLessThanOrEqual(800 - 16);
      expect(y).toBeGreaterThanOrEqual(48);
      expect(y).toBeLessThanOrEqual(360 - 44);
    }
    // 200 is the maximum and a round tick, so it sits on the top edge; 0 on the bottom.
    expect(first[1]?.[1]).toBe(48);
    expect(first[0]?.[1]).toBe(360 - 44);
  });

  it('still draws axes for a chart without series', () => {
    const svg = svgLineChart({ title: 'empty', xLabel: 'x', yLabel: 'y', series: [] });
    const names = parseXml(svg);
    expect(names).not.toContain('polyline');
    expect(names.filter((n) => n === 'line').length).toBeGreaterThan(2);
  });
});
