import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, schedules, startFakeOpenAI } from '../../src/testing/index.js';
import { presetClient } from '../clients.js';
import { fallbackClient } from '../fallbackClient.js';
import { boundedDuration, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, requestsBetween, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS, type Trial } from '../trial.js';

const FALLBACK = 'fallback policy';
const ALONE = 'chatPolicy alone';
const OUTAGE_MS = 5_000;

/** When the outage ends on the primary's clock: failFor counts from the first request. */
function outageEnd(trial: Trial): number {
  return Math.min(...trial.requests.map((r) => r.timeMs)) + OUTAGE_MS;
}

/** Runs `run` with a healthy secondary server (answers after 20 ms), closed afterwards. */
async function withSecondary<T>(run: (origin: string) => Promise<T>): Promise<T> {
  const secondary = await startFakeOpenAI({ script: replies.delay(20, replies.ok()) });
  try {
    return await run(secondary.origin);
  } finally {
    await secondary.close();
  }
}

/**
 * S6, fallback during an outage: the primary (OpenAI-shaped) answers 503 for 5 s, then recovers;
 * the secondary (Anthropic-shaped) is healthy; 20 calls/s for 10 s.
 */
export const s6Fallback: Scenario = {
  id: 'S6',
  run: () =>
    withSecondary(async (origin) => {
      const fallback = fallbackClient(FALLBACK, origin);
      const trials = await runTrials(
        'S6',
        {
          script: () =>
            schedules.failFor(OUTAGE_MS, replies.serverError(), replies.delay(20, replies.ok())),
          calls: 200,
          intervalMs: 50,
          kind: 'chat',
        },
        [fallback.factory, presetClient(ALONE, () => ({ chat: createChatPolicy() }))],
      );
      const outage = (t: Trial): number => requestsBetween(t, 0, outageEnd(t));
      const table = markdownTable(
        [
          { header: 'client' },
          { header: 'success', align: 'right' },
          { header: 'primary requests during outage', align: 'right' },
          { header: 'primary requests, all', align: 'right' },
          { header: 'answered by the secondary', align: 'right' },
          { header: 'p50 latency', align: 'right' },
          { header: 'p99 latency', align: 'right' },
        ],
        trials.map((t) => [
          t.client,
          percent(successRate(t)),
          String(outage(t)),
          String(t.requests.length),
          t.client === FALLBACK ? String(fallback.answeredBy.get('anthropic') ?? 0) : '-',
          boundedDuration(latency(t, 50), CALL_BOUND_MS),
          boundedDuration(latency(t, 99), CALL_BOUND_MS),
        ]),
      );
      const trial = trials.find((t) => t.client === FALLBACK);
      const checks: Check[] = [];
      if (trial) {
        checks.push(
          {
            client: FALLBACK,
            target: 'success 100%',
            measured: percent(successRate(trial)),
            pass: successRate(trial) === 1,
          },
          {
            client: FALLBACK,
            target: 'p99 latency ≤ 500 ms',
            measured: boundedDuration(latency(trial, 99), CALL_BOUND_MS),
            pass: latency(trial, 99) <= 500,
          },
          {
            client: FALLBACK,
            target: 'requests to the primary during its outage ≤ 10',
            measured: String(outage(trial)),
            pass: outage(trial) <= 10,
          },
        );
      }
      return {
        id: 'S6',
        title: 'S6: fallback to another provider during an outage',
        setup:
          'The primary fake server (OpenAI-shaped, reached through the openai SDK) answers 503 for its first 5 s, then recovers (replies after 20 ms); the secondary (Anthropic-shaped, through the Anthropic SDK) answers after 20 ms throughout; 20 calls/s are offered for 10 s (200 calls). The fallback policy tries the primary through `createChatPolicy()` and falls back to the secondary through another; `chatPolicy alone` is the primary with no fallback.',
        table,
        checks,
      };
    }),
};

/**
 * S6b, fallback on a long rate limit: the primary answers every request with 429 and
 * `retry-after: 30`; the secondary is healthy; 20 calls/s for 10 s.
 */
export const s6bRateLimitSpill: Scenario = {
  id: 'S6b',
  run: () =>
    withSecondary(async (origin) => {
      const fallback = fallbackClient(FALLBACK, origin);
      const [trial] = await runTrials(
        'S6b',
        {
          script: () => replies.rateLimit({ retryAfterMs: 30_000 }),
          calls: 200,
          intervalMs: 50,
          kind: 'chat',
        },
        [fallback.factory],
      );
      const t = trial as Trial;
      const bySecondary = fallback.answeredBy.get('anthropic') ?? 0;
      const table = markdownTable(
        [
          { header: 'client' },
          { header: 'success', align: 'right' },
          { header: 'primary requests', align: 'right' },
          { header: 'answered by the secondary', align: 'right' },
          { header: 'p50 latency', align: 'right' },
          { header: 'p99 latency', align: 'right' },
        ],
        [
          [
            t.client,
            percent(successRate(t)),
            String(t.requests.length),
            String(bySecondary),
            boundedDuration(latency(t, 50), CALL_BOUND_MS),
            boundedDuration(latency(t, 99), CALL_BOUND_MS),
          ],
        ],
      );
      const checks: Check[] = [
        {
          client: FALLBACK,
          target: 'every call answered by the secondary',
          measured: `${bySecondary} of ${t.calls.length}`,
          pass: bySecondary === t.calls.length,
        },
        {
          client: FALLBACK,
          target: 'p99 latency ≤ 300 ms',
          measured: boundedDuration(latency(t, 99), CALL_BOUND_MS),
          pass: latency(t, 99) <= 300,
        },
      ];
      return {
        id: 'S6b',
        title: 'S6b: fallback on a long rate limit',
        setup:
          'The primary fake server answers every request with 429 and `retry-after: 30` (s); the secondary (Anthropic-shaped) answers after 20 ms; 20 calls/s are offered for 10 s (200 calls), through the same fallback policy as in S6.',
        table,
        checks,
      };
    }),
};
