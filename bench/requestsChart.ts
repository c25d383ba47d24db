import type { Chart } from './scenario.js';
import { countPerBucket } from './stats.js';
import { svgLineChart } from './svgLineChart.js';
import type { Trial } from './trial.js';

const BUCKET_MS = 100;

/**
 * The chart of requests per 100 ms reaching the server over time, one line per trial (client),
 * up to the last request any of them sent.
 */
export function requestsChart(file: string, title: string, trials: readonly Trial[]): Chart {
  const last = Math.max(0, ...trials.flatMap((t) => t.requests.map((r) => r.timeMs)));
  const endMs = (Math.floor(last / BUCKET_MS) + 1) * BUCKET_MS;
  const series = trials.map((trial) => ({
    name: trial.client,
    points: countPerBucket(
      trial.requests.map((r) => r.timeMs),
      BUCKET_MS,
      endMs,
    ).map((count, i): [number, number] => [(i * BUCKET_MS) / 1000, count]),
  }));
  const svg = svgLineChart({
    title,
    xLabel: 'time since the server started (s)',
    yLabel: `requests per ${BUCKET_MS} ms`,
    series,
  });
  return { file, title, svg };
}
