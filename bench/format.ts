/** A share (0..1) as a percentage with at most one decimal: `1` is `100%`, `0.185` is `18.5%`. */
export function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

/** A duration: whole ms below one second (`850 ms`), else seconds with two decimals (`18.60 s`). */
export function duration(ms: number): string {
  if (Number.isNaN(ms)) return 'n/a';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A ratio or a per-call figure with two decimals. */
export function fixed2(value: number): string {
  return value.toFixed(2);
}

/** A time to outcome that may be the bound itself: shown as `≥ 40.00 s` when it reached it. */
export function boundedDuration(ms: number, boundMs: number): string {
  return ms >= boundMs ? `≥ ${duration(boundMs)}` : duration(ms);
}
