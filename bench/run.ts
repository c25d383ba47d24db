import { writeFile } from 'node:fs/promises';
import { describeMachine } from './machine.js';
import { overhead } from './overhead.js';
import { benchmarksPage, scenarioSection } from './report.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { s1qQuietProcess } from './scenarios/s1qQuietProcess.js';
import { s1RateLimitStorm } from './scenarios/s1RateLimitStorm.js';
import { s1rRecurrent } from './scenarios/s1rRecurrent.js';
import { s1sSustainedOverload } from './scenarios/s1sSustainedOverload.js';
import { s2Outage } from './scenarios/s2Outage.js';
import { s3Hangs } from './scenarios/s3Hangs.js';
import { s4Quota } from './scenarios/s4Quota.js';
import { s5StalledStreams } from './scenarios/s5StalledStreams.js';
import { s6bRateLimitSpill, s6Fallback } from './scenarios/s6Fallback.js';
import { s7Fleet } from './scenarios/s7Fleet.js';
import { s8PartialOutage } from './scenarios/s8PartialOutage.js';
import { s9HeaderBudget } from './scenarios/s9HeaderBudget.js';
import { storeOverhead } from './storeOverhead.js';

/**
 * `npm run bench`: runs every scenario and the overhead bench, prints each section and writes
 * docs/benchmarks.md with its SVG charts. `npm run bench -- S1 S3` runs only those (ids are
 * case-insensitive) and prints them without touching docs/.
 */
const SCENARIOS: readonly Scenario[] = [
  s1RateLimitStorm,
  s1sSustainedOverload,
  s1qQuietProcess,
  s1rRecurrent,
  s2Outage,
  s3Hangs,
  s4Quota,
  s5StalledStreams,
  s6Fallback,
  s6bRateLimitSpill,
  s7Fleet,
  s8PartialOutage,
  s9HeaderBudget,
  overhead,
  storeOverhead,
];

const DOCS = new URL('../docs/', import.meta.url);
const wanted = process.argv.slice(2).map((id) => id.toLowerCase());
const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id.toLowerCase() === id));
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.id).join(', ')}.\n`,
  );
  process.exit(2);
}
const selected =
  wanted.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => wanted.includes(s.id.toLowerCase()));
const machine = describeMachine();
process.stdout.write(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n\n`);
const results: ScenarioResult[] = [];
for (const scenario of selected) {
  const result = await scenario.run();
  results.push(result);
  process.stdout.write(`${scenarioSection(result)}\n\n`);
}
if (wanted.length === 0) {
  for (const result of results) {
    if (result.chart) await writeFile(new URL(result.chart.file, DOCS), result.chart.svg);
  }
  await writeFile(new URL('benchmarks.md', DOCS), benchmarksPage(results, machine));
  process.stdout.write('Wrote docs/benchmarks.md and its charts.\n');
}
// A call cut at the 40 s bound may leave the code under test with a timer; the run is over.
process.exit(0);
