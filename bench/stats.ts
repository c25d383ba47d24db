/**
 * The nearest-rank percentile of `values` (p in 0..100): the smallest value with at least p% of
 * the values at or below it, so the p99 of 100 values is the 99th smallest. Undefined when
 * `values` is empty. The input is not modified.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) {
    throw new TypeError(`percentile: p must be between 0 and 100, got ${String(p)}`);
  }
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * How many of `times` (ms) fall in each `bucketMs`-wide bucket from 0 to `endMs`: the series a
 * requests-per-interval chart draws. Bucket i covers [i * bucketMs, (i + 1) * bucketMs); times
 * outside [0, endMs) are ignored.
 */
export function countPerBucket(
  times: readonly number[],
  bucketMs: number,
  endMs: number,
): number[] {
  if (!(bucketMs > 0)) {
    throw new TypeError(`countPerBucket: bucketMs must be positive, got ${String(bucketMs)}`);
  }
  const counts = new Array<number>(Math.max(0, Math.ceil(endMs / bucketMs))).fill(0);
  for (const time of times) {
    if (time < 0 || time >= endMs) continue;
    const bucket = Math.floor(time / bucketMs);
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return counts;
}
