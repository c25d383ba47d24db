import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, schedules } from '../../src/testing/index.js';
import { NAIVE_CLIENT, naiveClient, presetClient, SDK_CLIENT, sdkClient } from '../clients.js';
import { boundedDuration, duration, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, requestsBetween, successRate } from '../metrics.js';
import { requestsChart } from '../requestsChart.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS, type Trial } from '../trial.js';

const PRESET = 'chatPolicy';
const OUTAGE_MS = 3_000;

/** When the outage ends on the server's clock: failFor counts from the first request. */
function outageEnd(trial: Trial): number {
  return Math.min(...trial.requests.map((r) => r.timeMs)) + OUTAGE_MS;
}

/** From the end of the outage to the first call that succeeded, ms (NaN if none did). */
function recoveryToFirstSuccess(trial: Trial): number {
  const firstOk = Math.min(
    ...trial.calls.filter((c) => c.outcome === 'ok').map((c) => c.settledMs),
  );
  return Number.isFinite(firstOk) ? Math.max(0, firstOk - outageEnd(trial)) : Number.NaN;
}

/** S2, outage: 503 overloaded for the first 3 s, then healthy (20 ms replies); 20 calls/s for 10 s. */
export const s2Outage: Scenario = {
  id: 'S2',
  async run() {
    const trials = await runTrials(
      'S2',
      {
        script: () =>
          schedules.failFor(OUTAGE_MS, replies.overloaded(), replies.delay(20, replies.ok())),
        calls: 200,
        intervalMs: 50,
        kind: 'chat',
      },
      [sdkClient(), naiveClient(), presetClient(PRESET, () => ({ chat: createChatPolicy() }))],
    );
    const outage = (t: Trial): number => requestsBetween(t, 0, outageEnd(t));
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests during outage', align: 'right' },
        { header: 'requests, all', align: 'right' },
        { header: 'p50 latency', align: 'right' },
        { header: 'p99 latency', align: 'right' },
        { header: 'recovery to first success', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        String(outage(t)),
        String(t.requests.length),
        boundedDuration(latency(t, 50), CALL_BOUND_MS),
        boundedDuration(latency(t, 99), CALL_BOUND_MS),
        duration(recoveryToFirstSuccess(t)),
      ]),
    );
    const preset = trials.find((t) => t.client === PRESET);
    const sdk = trials.find((t) => t.client === SDK_CLIENT);
    const naive = trials.find((t) => t.client === NAIVE_CLIENT);
    const checks: Check[] = [];
    if (preset && sdk && naive) {
      checks.push(
        {
          client: PRESET,
          target: 'success 100%',
          measured: percent(successRate(preset)),
          pass: successRate(preset) === 1,
        },
        {
          client: PRESET,
          target: `requests during outage ≤ ¼ of the SDK's (${outage(sdk)} / 4 = ${(outage(sdk) / 4).toFixed(1)})`,
          measured: String(outage(preset)),
          pass: outage(preset) <= outage(sdk) / 4,
        },
        {
          client: PRESET,
          target: `p99 latency < the naive loop's (${duration(latency(naive, 99))})`,
          measured: duration(latency(preset, 99)),
          pass: latency(preset, 99) < latency(naive, 99),
        },
      );
    }
    return {
      id: 'S2',
      title: 'S2: outage',
      setup:
        'The fake server answers 503 overloaded for its first 3 s, then recovers (replies after 20 ms); 20 calls/s are offered for 10 s (200 calls). Latency is each call\'s time to outcome, failures included; "recovery to first success" runs from the end of the outage to the first call that succeeded.',
      table,
      checks,
      chart: requestsChart('benchmarks-s2.svg', 'S2 outage: requests reaching the server', trials),
    };
  },
};
