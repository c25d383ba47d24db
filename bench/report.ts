import type { Machine } from './machine.js';
import { checksTable, type ScenarioResult } from './scenario.js';

/** One scenario as markdown: heading, setup, the figures table, an optional chart, the targets. */
export function scenarioSection(result: ScenarioResult): string {
  const parts = [`## ${result.title}`, result.setup, result.table];
  if (result.chart) parts.push(`![${result.chart.title}](${result.chart.file})`);
  if (result.checks.length > 0) parts.push('Targets:', checksTable(result.checks));
  return parts.join('\n\n');
}

/**
 * The whole docs/benchmarks.md page: what was run, on which machine, and every scenario's
 * section, with a summary of the targets met and missed.
 */
export function benchmarksPage(results: readonly ScenarioResult[], machine: Machine): string {
  const checks = results.flatMap((r) => r.checks);
  const missed = checks.filter((c) => !c.pass);
  const summary =
    missed.length === 0
      ? `All ${checks.length} targets were met in this run.`
      : `${checks.length - missed.length} of ${checks.length} targets were met in this run; missed: ${missed
          .map((c) => `${c.client}, ${c.target} (measured ${c.measured})`)
          .join('; ')}.`;
  return `${[
    '# Benchmarks',
    "Written by `npm run bench` (`bench/run.ts`); do not edit by hand. Each scenario runs in a fresh process of its own, so none measures what an earlier one left behind (heap, compiled code, timers). A fault scenario runs three clients one after the other in that process, each against its own fresh fake server (`llm-resilience/testing`) over real HTTP on 127.0.0.1 with the real openai client (v7), in real time: (a) the openai SDK with its own retries at their defaults (`maxRetries: 2`); (b) the naive loop most code hand-writes: 5 attempts, a 30 s timeout, waits of 1 s × 2^n plus up to 1 s of random jitter capped at 60 s, retrying rate-limit, timeout and 5xx errors; (c) this package's presets, built fresh for each run, over the SDK with `maxRetries: 0`. Every call is bounded at 40 s: a call still pending then counts as failed (shown as `≥ 40.00 s`). The machine is shared and noisy: the figures are this run's, not constants.",
    `Machine: ${machine.cpu}, ${machine.cores} logical cores, ${machine.memoryGiB} GiB, ${machine.os}. Node ${machine.node}. Run at ${machine.date}.`,
    summary,
    ...results.map(scenarioSection),
  ].join('\n\n')}\n`;
}
