import type { ClientFactory } from './clients.js';
import { type Column, markdownTable } from './markdownTable.js';
import { runTrial, type Trial, type TrialPlan } from './trial.js';

/** One target of the issue next to the figure this run measured. */
export interface Check {
  client: string;
  target: string;
  measured: string;
  pass: boolean;
}

/** An SVG chart to save next to the page, as `docs/<file>`. */
export interface Chart {
  file: string;
  title: string;
  svg: string;
}

/** What a scenario reports: a table (one row per client), its target checks, maybe a chart. */
export interface ScenarioResult {
  id: string;
  title: string;
  /** One markdown paragraph: the server's script, the load, and each client's settings. */
  setup: string;
  table: string;
  checks: Check[];
  chart?: Chart;
}

/** A named fault scenario that runs its clients and reports. */
export interface Scenario {
  id: string;
  run(): Promise<ScenarioResult>;
}

/** The table of a scenario's targets: target, measured figure, pass or miss. */
export function checksTable(checks: readonly Check[]): string {
  const columns: Column[] = [
    { header: 'client' },
    { header: 'target' },
    { header: 'measured' },
    { header: 'result' },
  ];
  return markdownTable(
    columns,
    checks.map((c) => [c.client, c.target, c.measured, c.pass ? 'pass' : 'MISS']),
  );
}

/**
 * Runs `plan` once per client, one after the other (never side by side, so they do not compete
 * for the CPU), each against its own fresh server, logging progress to stderr.
 */
export async function runTrials(
  id: string,
  plan: TrialPlan,
  clients: readonly ClientFactory[],
): Promise<Trial[]> {
  const trials: Trial[] = [];
  for (const client of clients) {
    const started = Date.now();
    process.stderr.write(`${id}: ${client.name}... `);
    trials.push(await runTrial(client, plan));
    process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return trials;
}
