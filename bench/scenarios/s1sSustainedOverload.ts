import { createChatPolicy } from '../../src/policies/chat.js';
import { schedules } from '../../src/testing/index.js';
import { naiveClient, presetClient, sdkClient } from '../clients.js';
import { boundedDuration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { makespan, requestsPerCall, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS } from '../trial.js';

const PRESET = 'chatPolicy (cold)';
/** The pace counts as learned from this point on (ms after the first call). */
const LEARNED_AFTER_MS = 2_000;

/**
 * S1s, sustained overload: the same token bucket (20 requests/s, burst 20), 30 calls/s offered for
 * 20 s. Requests per call are counted over the calls offered after the first 2 s.
 */
export const s1sSustainedOverload: Scenario = {
  id: 'S1s',
  async run() {
    const trials = await runTrials(
      'S1s',
      {
        script: () => schedules.tokenBucket({ ratePerSec: 20, burst: 20 }),
        calls: 600,
        intervalMs: 1000 / 30,
        kind: 'chat',
      },
      [sdkClient(), naiveClient(), presetClient(PRESET, () => ({ chat: createChatPolicy() }))],
    );
    const afterLearning = (trial: (typeof trials)[number]) => {
      const first = Math.min(...trial.calls.map((c) => c.offeredMs));
      return requestsPerCall(trial, (c) => c.offeredMs - first >= LEARNED_AFTER_MS);
    };
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests/call after 2 s', align: 'right' },
        { header: 'requests/call, all', align: 'right' },
        { header: 'makespan', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        fixed2(afterLearning(t)),
        fixed2(requestsPerCall(t)),
        boundedDuration(makespan(t), CALL_BOUND_MS),
      ]),
    );
    const checks: Check[] = trials
      .filter((t) => t.client === PRESET)
      .map((t) => ({
        client: PRESET,
        target: 'requests/call after 2 s ≤ 1.20',
        measured: fixed2(afterLearning(t)),
        pass: afterLearning(t) <= 1.2,
      }));
    return {
      id: 'S1s',
      title: 'S1s: sustained overload',
      setup:
        'The same token bucket (20 requests/s, burst 20); 30 calls/s are offered for 20 s (600 calls), more than the server accepts, so queues grow. "Requests/call after 2 s" counts the requests sent by the calls offered after the first 2 s (each request is attributed to its call), once the pace can have been learned.',
      table,
      checks,
    };
  },
};
