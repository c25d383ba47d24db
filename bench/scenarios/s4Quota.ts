import { createChatPolicy } from '../../src/policies/chat.js';
import { replies } from '../../src/testing/index.js';
import { naiveClient, presetClient, sdkClient } from '../clients.js';
import { boundedDuration, duration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, requestsPerCall, requestsPerCallRange, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS } from '../trial.js';

const PRESET = 'chatPolicy';
const ERROR_WITHIN_MS = 20;

/** S4, quota: every reply is 429 insufficient_quota, which no wait will cure; 20 calls. */
export const s4Quota: Scenario = {
  id: 'S4',
  async run() {
    const trials = await runTrials(
      'S4',
      { script: () => replies.quota(), calls: 20, intervalMs: 50, kind: 'chat' },
      [sdkClient(), naiveClient(), presetClient(PRESET, () => ({ chat: createChatPolicy() }))],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests/call', align: 'right' },
        { header: 'time to error, p50', align: 'right' },
        { header: 'time to error, max', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        fixed2(requestsPerCall(t)),
        boundedDuration(latency(t, 50), CALL_BOUND_MS),
        boundedDuration(latency(t, 100), CALL_BOUND_MS),
      ]),
    );
    const checks: Check[] = trials
      .filter((t) => t.client === PRESET)
      .flatMap((t) => {
        const range = requestsPerCallRange(t);
        return [
          {
            client: PRESET,
            target: 'exactly 1 request per call',
            measured: range.min === range.max ? String(range.min) : `${range.min} to ${range.max}`,
            pass: range.min === 1 && range.max === 1,
          },
          {
            client: PRESET,
            target: `every error in < ${ERROR_WITHIN_MS} ms`,
            measured: `max ${duration(latency(t, 100))}`,
            pass: latency(t, 100) < ERROR_WITHIN_MS,
          },
        ];
      });
    return {
      id: 'S4',
      title: 'S4: quota',
      setup:
        "Every reply is 429 `insufficient_quota` (a billing problem no wait will cure). 20 calls, one every 50 ms. Time to error is each call's time from start to its rejection.",
      table,
      checks,
    };
  },
};
