/**
 * How many cases a property test runs: `n` normally; under Stryker (each mutant reruns the tests
 * covering it) a fifth of that, at least 25, so mutation testing finishes in time. The mutation
 * score is then a lower bound of what the full suite kills (docs/quality.md).
 */
export function numRuns(n: number): number {
  return process.env.STRYKER_MUTATOR_WORKER === undefined ? n : Math.max(25, Math.round(n / 5));
}
