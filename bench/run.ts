import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { describeMachine } from './machine.js';
import { benchmarksPage, scenarioSection } from './report.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

/**
 * `npm run bench`: runs every scenario and the overhead bench, each in a process of its own,
 * prints each section and writes docs/benchmarks.md with its SVG charts. `npm run bench -- S1 S3`
 * runs only those (ids are case-insensitive) and prints them without touching docs/.
 */
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
  const result = await runAlone(scenario);
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
process.exit(0);

/** Runs `scenario` in a fresh process (bench/runScenario.ts) and resolves with its result. */
function runAlone(scenario: Scenario): Promise<ScenarioResult> {
  const child = fork(new URL('./runScenario.ts', import.meta.url), [scenario.id]);
  return new Promise((resolve, reject) => {
    let result: ScenarioResult | undefined;
    child.on('message', (message) => {
      result = message as ScenarioResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`bench: ${scenario.id} exited with code ${code} before its result`));
    });
  });
}
