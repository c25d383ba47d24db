import { createChatPolicy } from '../../src/policies/chat.js';
import { schedules } from '../../src/testing/index.js';
import { naiveClient, presetClient, sdkClient } from '../clients.js';
import { boundedDuration, duration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, makespan, requestsPerCall, successRate } from '../metrics.js';
import { requestsChart } from '../requestsChart.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS } from '../trial.js';

const COLD = 'chatPolicy (cold)';
const BUDGET = 'chatPolicy (1200 rpm)';

/**
 * S1, rate-limit storm: a token bucket of 20 requests/s (burst 20) answering 429 with the exact
 * wait in retry-after-ms; 200 calls fired at once. This package runs twice: cold, and with a
 * `requestsPerMinute: 1200` budget.
 */
export const s1RateLimitStorm: Scenario = {
  id: 'S1',
  async run() {
    const trials = await runTrials(
      'S1',
      {
        script: () => schedules.tokenBucket({ ratePerSec: 20, burst: 20 }),
        calls: 200,
        intervalMs: 0,
        kind: 'chat',
      },
      [
        sdkClient(),
        naiveClient(),
        presetClient(COLD, () => ({ chat: createChatPolicy() })),
        presetClient(BUDGET, () => ({
          chat: createChatPolicy({ rateLimit: { requestsPerMinute: 1200 } }),
        })),
      ],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests', align: 'right' },
        { header: 'requests/call', align: 'right' },
        { header: 'makespan', align: 'right' },
        { header: 'p50 latency', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        String(t.requests.length),
        fixed2(requestsPerCall(t)),
        boundedDuration(makespan(t), CALL_BOUND_MS),
        boundedDuration(latency(t, 50), CALL_BOUND_MS),
      ]),
    );
    const checks: Check[] = [];
    for (const [name, maxPerCall, maxMakespan] of [
      [COLD, 2.0, 11_000],
      [BUDGET, 1.05, 10_500],
    ] as const) {
      const trial = trials.find((t) => t.client === name);
      if (!trial) continue;
      const perCall = requestsPerCall(trial);
      checks.push(
        {
          client: name,
          target: 'success 100%',
          measured: percent(successRate(trial)),
          pass: successRate(trial) === 1,
        },
        {
          client: name,
          target: `requests/call ≤ ${fixed2(maxPerCall)}`,
          measured: fixed2(perCall),
          pass: perCall <= maxPerCall,
        },
        {
          client: name,
          target: `makespan ≤ ${duration(maxMakespan)}`,
          measured: duration(makespan(trial)),
          pass: makespan(trial) <= maxMakespan,
        },
      );
    }
    return {
      id: 'S1',
      title: 'S1: rate-limit storm',
      setup:
        'The fake server is a token bucket of 20 requests/s (burst 20) answering 429 with the exact wait in `retry-after-ms`; 200 calls are fired at once. The physical limits are 1.0 request per call and a 9 s makespan (20 at once, then 20 a second). This package runs twice: `createChatPolicy()` cold (nothing known about the server) and `createChatPolicy({ rateLimit: { requestsPerMinute: 1200 } })`.',
      table,
      checks,
      chart: requestsChart(
        'benchmarks-s1.svg',
        'S1 rate-limit storm: requests reaching the server',
        trials,
      ),
    };
  },
};
