import { RETRY_BUDGET_DEFAULTS } from '../../src/pipeline/RetryBudget.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, schedules } from '../../src/testing/index.js';
import { presetClient } from '../clients.js';
import { boundedDuration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, requestsPerCall, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS, type Trial } from '../trial.js';

const BUDGETED = 'chatPolicy, breaker off';
const UNBUDGETED = 'chatPolicy, breaker and budget off';
const CALLS = 1_000;
const INTERVAL_MS = 10;
const SEED = 8;

/**
 * One request in two that reaches the server (retries included) is answered 500, drawn by a
 * seeded random source so both clients meet the same sequence; the others after 20 ms.
 */
const halfFail = () =>
  schedules.failRandomly(0.5, replies.serverError(), {
    seed: SEED,
    // biome-ignore lint/suspicious/noThenProperty: the test kit's option, not a thenable.
    then: replies.delay(20, replies.ok()),
  });

/** Requests beyond each call's first: the retries that reached the server. */
function retries(trial: Trial): number {
  return trial.requests.length - new Set(trial.requests.map((r) => r.call)).size;
}

/** From the first request the server saw to the last, in seconds. */
function runSeconds(trial: Trial): number {
  const times = trial.requests.map((r) => r.timeMs);
  return (Math.max(...times) - Math.min(...times)) / 1_000;
}

/** The retries the preset's budget allows over the trial: percent of its calls, minPerSec a second. */
function allowed(trial: Trial): number {
  const { percent: share, minPerSec } = RETRY_BUDGET_DEFAULTS;
  return (share / 100) * trial.calls.length + minPerSec * runSeconds(trial);
}

/**
 * S8, partial outage: half the requests fail with a 500, 100 calls/s for 10 s, the breaker off so
 * that only the retry budget bounds the retries.
 */
export const s8PartialOutage: Scenario = {
  id: 'S8',
  async run() {
    const trials = await runTrials(
      'S8',
      { script: halfFail, calls: CALLS, intervalMs: INTERVAL_MS, kind: 'chat' },
      [
        presetClient(BUDGETED, () => ({ chat: createChatPolicy({ circuitBreaker: false }) })),
        presetClient(UNBUDGETED, () => ({
          chat: createChatPolicy({ circuitBreaker: false, retryBudget: false }),
        })),
      ],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests', align: 'right' },
        { header: 'requests per call', align: 'right' },
        { header: 'retries at the server', align: 'right' },
        { header: 'budget over the run', align: 'right' },
        { header: 'p50 latency', align: 'right' },
        { header: 'p99 latency', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        String(t.requests.length),
        fixed2(requestsPerCall(t)),
        String(retries(t)),
        `${Math.floor(allowed(t))} (${runSeconds(t).toFixed(1)} s)`,
        boundedDuration(latency(t, 50), CALL_BOUND_MS),
        boundedDuration(latency(t, 99), CALL_BOUND_MS),
      ]),
    );
    const budgeted = trials.find((t) => t.client === BUDGETED);
    const unbudgeted = trials.find((t) => t.client === UNBUDGETED);
    const checks: Check[] = [];
    if (budgeted && unbudgeted) {
      checks.push(
        {
          client: BUDGETED,
          target: `retries at the server ≤ 20% of the calls + 10 a second over the run (${Math.floor(allowed(budgeted))})`,
          measured: String(retries(budgeted)),
          pass: retries(budgeted) <= allowed(budgeted),
        },
        {
          client: BUDGETED,
          target: `requests per call < without the budget (${fixed2(requestsPerCall(unbudgeted))})`,
          measured: fixed2(requestsPerCall(budgeted)),
          pass: requestsPerCall(budgeted) < requestsPerCall(unbudgeted),
        },
        {
          client: UNBUDGETED,
          target: 'requests per call ≥ 1.8 (the amplification the budget removes)',
          measured: fixed2(requestsPerCall(unbudgeted)),
          pass: requestsPerCall(unbudgeted) >= 1.8,
        },
      );
    }
    return {
      id: 'S8',
      title: 'S8: partial outage',
      setup: `One request in two that reaches the fake server (retries included) is answered 500, drawn at random with seed ${SEED} (\`schedules.failRandomly(0.5, replies.serverError(), { seed: ${SEED} })\`: the same sequence of requests for both clients); the others are answered after 20 ms. 100 calls/s are offered for 10 s (${CALLS} calls). Both clients are \`createChatPolicy({ circuitBreaker: false })\`, so that no breaker opens and only the retry budget bounds the retries: \`${BUDGETED}\` keeps the preset's budget (20% of the calls plus 10 retries a second over 10 s), \`${UNBUDGETED}\` adds \`retryBudget: false\`. "Retries at the server" counts the requests beyond each call's first; "budget over the run" is 20% of the calls plus 10 a second from the first request to the last, that span in brackets.`,
      table,
      checks,
    };
  },
};
