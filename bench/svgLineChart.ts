/** One line of a chart: its legend name and its points as [x, y] pairs, in x order. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

/** What to draw: a title, axis labels, the lines, and the image size (default 800 x 360). */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}

const COLOURS = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b'];
const MARGIN = { top: 48, right: 16, bottom: 44, left: 56 };

/** Escapes text for an XML attribute or element. */
function xml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** A round tick step (1, 2 or 5 times a power of ten) giving about `count` ticks up to `max`. */
function tickStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/** Formats a tick value without float noise (0.30000000000000004 becomes 0.3). */
function tickLabel(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/**
 * A standalone SVG line chart, written without dependencies: axes from zero with round ticks, a
 * light grid, one `<polyline>` per series in a fixed colour order, and a legend along the top.
 * Both axes start at 0; an empty chart still gets axes.
 */
export function svgLineChart(options: LineChartOptions): string {
  const width = options.width ?? 800;
  const height = options.height ?? 360;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const all = options.series.flatMap((s) => s.points);
  const xMax = Math.max(1e-9, ...all.map(([x]) => x));
  const yMax = Math.max(1, ...all.map(([, y]) => y));
  const xStep = tickStep(xMax, 10);
  const yStep = tickStep(yMax, 5);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const px = (x: number): string => (MARGIN.left + (x / xTop) * plotWidth).toFixed(1);
  const py = (y: number): string => (MARGIN.top + plotHeight - (y / yTop) * plotHeight).toFixed(1);
  const bottom = MARGIN.top + plotHeight;
  const right = MARGIN.left + plotWidth;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="${xml(options.title)}">`,
    `<title>${xml(options.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${xml(options.title)}</text>`,
  ];
  for (let y = 0; y <= yTop + yStep / 2; y += yStep) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${py(y)}" x2="${right}" y2="${py(y)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${py(y)}" text-anchor="end" dominant-baseline="middle">${tickLabel(y)}</text>`,
    );
  }
  for (let x = 0; x <= xTop + xStep / 2; x += xStep) {
    parts.push(
      `<line x1="${px(x)}" y1="${bottom}" x2="${px(x)}" y2="${bottom + 4}" stroke="#333333"/>`,
      `<text x="${px(x)}" y="${bottom + 16}" text-anchor="middle">${tickLabel(x)}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#333333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">${xml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${xml(options.yLabel)}</text>`,
  );
  let legendX = MARGIN.left;
  for (const [index, series] of options.series.entries()) {
    const colour = COLOURS[index % COLOURS.length];
    const points = series.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5" stroke-linejoin="round" points="${points}"/>`,
      `<line x1="${legendX}" y1="32" x2="${legendX + 18}" y2="32" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${legendX + 22}" y="32" dominant-baseline="middle">${xml(series.name)}</text>`,
    );
    legendX += 30 + series.name.length * 6.5;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
