import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, schedules } from '../../src/testing/index.js';
import { naiveClient, presetClient, SDK_CLIENT, sdkClient } from '../clients.js';
import { boundedDuration, duration, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS, type Trial } from '../trial.js';

const PRESET = 'chatPolicy';
const HEDGED = 'chatPolicy + hedge';
const ATTEMPT_MS = 2_000;
/** The hedge delay: ten times a healthy reply's 50 ms, so a healthy call is never hedged. */
const HEDGE_MS = 500;

/**
 * One request in ten that reaches the server (retries included) hangs, drawn by a seeded random
 * source so every client meets the same sequence; the others are answered after 50 ms. Random
 * rather than every 10th, so a retry can hang too, as it does in life.
 */
const SEED = 1;
const oneInTenHangs = () =>
  schedules.failRandomly(0.1, replies.hang(), {
    seed: SEED,
    // biome-ignore lint/suspicious/noThenProperty: the test kit's option, not a thenable.
    then: replies.delay(50, replies.ok()),
  });

/** How many calls had two or more requests cut by the client (hung, then timed out). */
function callsCutTwice(trial: Trial): number {
  const cuts = new Map<number, number>();
  for (const r of trial.requests) {
    if (r.clientClosed && r.call !== undefined) cuts.set(r.call, (cuts.get(r.call) ?? 0) + 1);
  }
  return [...cuts.values()].filter((n) => n >= 2).length;
}

/** S3, hangs: one request in ten never gets a reply; every client's attempt timeout is 2 s. */
export const s3Hangs: Scenario = {
  id: 'S3',
  async run() {
    const trials = await runTrials(
      'S3',
      { script: oneInTenHangs, calls: 100, intervalMs: 20, kind: 'chat' },
      [
        sdkClient({ timeoutMs: ATTEMPT_MS }),
        naiveClient({ timeoutMs: ATTEMPT_MS }),
        presetClient(PRESET, () => ({
          chat: createChatPolicy({ timeout: { attemptMs: ATTEMPT_MS } }),
        })),
        presetClient(HEDGED, () => ({
          chat: createChatPolicy({
            timeout: { attemptMs: ATTEMPT_MS },
            hedge: { delayMs: HEDGE_MS },
          }),
        })),
      ],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests', align: 'right' },
        { header: 'cut by the client', align: 'right' },
        { header: 'calls cut twice or more', align: 'right' },
        { header: 'p50 latency', align: 'right' },
        { header: 'p99 latency', align: 'right' },
        { header: 'max latency', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        String(t.requests.length),
        String(t.requests.filter((r) => r.clientClosed).length),
        String(callsCutTwice(t)),
        boundedDuration(latency(t, 50), CALL_BOUND_MS),
        boundedDuration(latency(t, 99), CALL_BOUND_MS),
        boundedDuration(latency(t, 100), CALL_BOUND_MS),
      ]),
    );
    const sdk = trials.find((t) => t.client === SDK_CLIENT);
    const checks: Check[] = [];
    for (const client of [PRESET, HEDGED]) {
      const preset = trials.find((t) => t.client === client);
      if (preset === undefined || sdk === undefined) continue;
      const limit = 0.8 * latency(sdk, 99);
      checks.push(
        {
          client,
          target: 'success 100%',
          measured: percent(successRate(preset)),
          pass: successRate(preset) === 1,
        },
        {
          client,
          target: `p99 ≤ 0.8 × the SDK's (${duration(limit)})`,
          measured: duration(latency(preset, 99)),
          pass: latency(preset, 99) <= limit,
        },
      );
    }
    return {
      id: 'S3',
      title: 'S3: hangs',
      setup: `One request in ten that reaches the fake server (retries included) never gets a reply, drawn at random with seed ${SEED} (\`schedules.failRandomly(0.1, replies.hang(), { seed: ${SEED} })\`: the same sequence of requests for every client); the others are answered after 50 ms. 100 calls, one every 20 ms. "Cut by the client" counts the requests the client closed before their reply: hung ones it timed out, and, with hedging, hung ones whose hedge answered first; a call cut twice or more waited out two timeouts. Every client's attempt timeout is 2 s: the SDK's \`timeout: 2000\`, the naive loop's client \`timeout: 2000\`, and \`createChatPolicy({ timeout: { attemptMs: 2000 } })\`. \`${HEDGED}\` adds the opt-in hedging stage, \`hedge: { delayMs: ${HEDGE_MS} }\`: an attempt unanswered after ${HEDGE_MS} ms (ten times a healthy reply) gets a second one beside it. Without hedging, a call whose first request hangs cannot answer before the 2 s timeout plus a 50 ms reply; hedging is what removes that floor, at the cost of a request for each slow attempt.`,
      table,
      checks,
    };
  },
};
