import { SCENARIOS } from './scenarios/index.js';

/**
 * Runs one scenario, named by its id, in a process of its own and sends its result to the parent
 * (bench/run.ts forks this file once per scenario): no scenario measures what an earlier one left
 * in the process (its heap, its compiled code, its timers).
 */
const id = process.argv[2];
const scenario = SCENARIOS.find((s) => s.id === id);
if (scenario === undefined || process.send === undefined) {
  process.stderr.write(`runScenario: no scenario ${id}, or no parent to report to\n`);
  process.exit(2);
}
const result = await scenario.run();
process.send(result, () => process.exit(0));
