import { setTimeout as sleep } from 'node:timers/promises';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, schedules } from '../../src/testing/index.js';
import { naiveClient, presetClient, sdkClient } from '../clients.js';
import { duration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { requestsPerCall, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { percentile } from '../stats.js';
import type { CallRecord, Trial } from '../trial.js';

const PRESET = 'chatPolicy';
/** The one 429's wait hint, in `retry-after-ms`. */
export const S1Q_HINT_MS = 100;
/** A healthy reply's delay. */
const REPLY_MS = 10;
const SEQUENTIAL = 20;
const CONCURRENT = 10;
/** The pause between the last sequential call and the concurrent burst. */
const PAUSE_MS = 1_500;
const SEQUENTIAL_P99_MS = 150;
const BURST_MS = 200;

/** Which calls are which: 0 meets the 429, then the sequential ones, then the burst. */
const isSequential = (c: CallRecord) => c.index >= 1 && c.index <= SEQUENTIAL;
const isBurst = (c: CallRecord) => c.index > SEQUENTIAL;

const latencies = (trial: Trial, include: (c: CallRecord) => boolean) =>
  trial.calls.filter(include).map((c) => c.settledMs - c.offeredMs);

/** The sequential calls' p99 latency (of 20 calls, the slowest). */
const sequentialP99 = (trial: Trial) => percentile(latencies(trial, isSequential), 99) ?? NaN;

/** From the burst's first call offered to its last settled. */
function burstSpan(trial: Trial): number {
  const burst = trial.calls.filter(isBurst);
  const first = Math.min(...burst.map((c) => c.offeredMs));
  return Math.max(...burst.map((c) => c.settledMs)) - first;
}

/**
 * S1q, a quiet process after a lone 429: the server answers the first request with a 429
 * (`retry-after-ms: 100`) and every other after 10 ms. One call meets it; then 20 calls one after
 * the other; then, 1.5 s later, 10 at once.
 */
export const s1qQuietProcess: Scenario = {
  id: 'S1q',
  async run() {
    const trials = await runTrials(
      'S1q',
      {
        script: () =>
          schedules.failFirst(
            1,
            replies.rateLimit({ retryAfterMs: S1Q_HINT_MS }),
            replies.delay(REPLY_MS, replies.ok()),
          ),
        calls: 1 + SEQUENTIAL + CONCURRENT,
        intervalMs: 0,
        kind: 'chat',
        async load(offer) {
          await offer(0);
          for (let i = 1; i <= SEQUENTIAL; i++) await offer(i);
          await sleep(PAUSE_MS);
          await Promise.all(
            Array.from({ length: CONCURRENT }, (_, i) => offer(SEQUENTIAL + 1 + i)),
          );
        },
      },
      [sdkClient(), naiveClient(), presetClient(PRESET, () => ({ chat: createChatPolicy() }))],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests/call', align: 'right' },
        { header: 'call after the 429', align: 'right' },
        { header: '20 sequential: p50', align: 'right' },
        { header: '20 sequential: p99', align: 'right' },
        { header: '10 at once 1.5 s later: all done in', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        fixed2(requestsPerCall(t)),
        duration(latencies(t, (c) => c.index === 0)[0] ?? NaN),
        duration(percentile(latencies(t, isSequential), 50) ?? NaN),
        duration(sequentialP99(t)),
        duration(burstSpan(t)),
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
          target: `20 sequential calls after the 429: p99 ≤ ${duration(SEQUENTIAL_P99_MS)}`,
          measured: duration(sequentialP99(t)),
          pass: sequentialP99(t) <= SEQUENTIAL_P99_MS,
        },
        {
          client: PRESET,
          target: `10 calls at once 1.5 s later: all done within ${duration(BURST_MS)}`,
          measured: duration(burstSpan(t)),
          pass: burstSpan(t) <= BURST_MS,
        },
      ]);
    return {
      id: 'S1q',
      title: 'S1q: a quiet process after a lone 429',
      setup: `The fake server answers its first request with a 429 (\`retry-after-ms: ${S1Q_HINT_MS}\`) and every other one after ${REPLY_MS} ms: one stray 429 in a healthy service. One call meets the 429; then ${SEQUENTIAL} calls are made one after the other (each waits for the one before), as a chat UI or a script does; then, ${duration(PAUSE_MS)} after the last, ${CONCURRENT} at once. A learned pace that outlived the 429 would slow every one of them.`,
      table,
      checks,
    };
  },
};
