import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, type Schedule, schedules } from '../../src/testing/index.js';
import { naiveClient, presetClient, sdkClient } from '../clients.js';
import { duration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { requestsPerCall, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { percentile } from '../stats.js';
import type { CallRecord, Trial } from '../trial.js';

const PRESET = 'chatPolicy';
const SERVER_RATE = 5;
const OFFERED_RATE = 4;
const SECONDS = 30;
/** When the one extra 429 is injected (the first request at or after it gets it). */
const INJECT_AT_MS = 5_000;
/** The injected 429's wait hint, in `retry-after-ms`. */
const HINT_MS = 100;
const REPLY_MS = 10;
const P99_MS = HINT_MS + 100;

/**
 * A token bucket of `SERVER_RATE` requests/s (burst as many) answering after `REPLY_MS`, that
 * also answers the first request at or after `INJECT_AT_MS` with a 429 of `HINT_MS`.
 */
function script(): Schedule {
  const bucket = schedules.tokenBucket({
    ratePerSec: SERVER_RATE,
    burst: SERVER_RATE,
    // biome-ignore lint/suspicious/noThenProperty: the test kit's option, not a thenable.
    then: replies.delay(REPLY_MS, replies.ok()),
  });
  const limited = replies.rateLimit({ retryAfterMs: HINT_MS });
  let injected = false;
  return (request, index) => {
    if (injected || request.time < INJECT_AT_MS) return bucket(request, index);
    injected = true;
    return limited;
  };
}

/** The calls offered from the one that met the injected 429 on. */
function afterThe429(trial: Trial): CallRecord[] {
  const injected = trial.requests.find((r) => r.timeMs >= INJECT_AT_MS);
  const from = trial.calls.find((c) => c.index === injected?.call)?.offeredMs ?? INJECT_AT_MS;
  return trial.calls.filter((c) => c.offeredMs >= from);
}

const latencyAfter = (trial: Trial, p: number) =>
  percentile(
    afterThe429(trial).map((c) => c.settledMs - c.offeredMs),
    p,
  ) ?? NaN;

/**
 * S1r, steady traffic under the limit with one stray 429: a server that accepts 5 requests/s
 * and a caller that offers 4 calls/s for 30 s; one 429 (hint 100 ms) is injected at 5 s.
 */
export const s1rRecurrent: Scenario = {
  id: 'S1r',
  async run() {
    const trials = await runTrials(
      'S1r',
      { script, calls: OFFERED_RATE * SECONDS, intervalMs: 1000 / OFFERED_RATE, kind: 'chat' },
      [sdkClient(), naiveClient(), presetClient(PRESET, () => ({ chat: createChatPolicy() }))],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests/call', align: 'right' },
        { header: 'after the 429: p50 latency', align: 'right' },
        { header: 'p99 latency', align: 'right' },
        { header: 'max latency', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        fixed2(requestsPerCall(t)),
        duration(latencyAfter(t, 50)),
        duration(latencyAfter(t, 99)),
        duration(latencyAfter(t, 100)),
      ]),
    );
    const checks: Check[] = trials
      .filter((t) => t.client === PRESET)
      .flatMap((t) => [
        {
          client: PRESET,
          target: 'success 100%',
          measured: percent(successRate(t)),
          pass: successRate(t) === 1,
        },
        {
          client: PRESET,
          target: `calls from the 429 on: p99 ≤ the hint + 100 ms (${duration(P99_MS)})`,
          measured: duration(latencyAfter(t, 99)),
          pass: latencyAfter(t, 99) <= P99_MS,
        },
      ]);
    return {
      id: 'S1r',
      title: 'S1r: steady traffic and one stray 429',
      setup: `The fake server is a token bucket of ${SERVER_RATE} requests/s (burst ${SERVER_RATE}) answering after ${REPLY_MS} ms; ${OFFERED_RATE} calls/s are offered for ${SECONDS} s (${OFFERED_RATE * SECONDS} calls), under its limit. The first request at or after ${duration(INJECT_AT_MS)} gets a 429 with \`retry-after-ms: ${HINT_MS}\` anyway (a stray one, as a real API sends now and then). Latencies are over the calls offered from the one that met it on: once its hint has passed, nothing should wait.`,
      table,
      checks,
    };
  },
};
