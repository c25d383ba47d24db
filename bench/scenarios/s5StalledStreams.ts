import { createStreamPolicy, STREAM_POLICY_DEFAULTS } from '../../src/policies/stream.js';
import { replies, type Script } from '../../src/testing/index.js';
import { naiveClient, presetClient, sdkClient, TruncatedStreamError } from '../clients.js';
import { boundedDuration, duration, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { latency, pendingCalls, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS, type CallRecord } from '../trial.js';

const PRESET = 'streamPolicy';
const IDLE_MS = 2_000;

/** The stream preset's default idle timeout, for the setup text. */
function defaultIdle(): string {
  const { timeout } = STREAM_POLICY_DEFAULTS;
  return timeout && timeout.idleMs !== undefined ? duration(timeout.idleMs) : 'none';
}

/** Whether a call's loop ended without the stream's final chunk and without an error. */
const truncated = (call: CallRecord): boolean => call.error === TruncatedStreamError.name;

/** Every 10th stream the server starts stalls after 3 chunks; the others run to the end. */
const everyTenthStalls: Script = (_request, index) =>
  index % 10 === 9 ? replies.stream({ stallAfter: 3 }) : replies.stream();

/** S5, stalled streams: one stream in ten stalls after 3 chunks; 100 streamed calls. */
export const s5StalledStreams: Scenario = {
  id: 'S5',
  async run() {
    const trials = await runTrials(
      'S5',
      { script: () => everyTenthStalls, calls: 100, intervalMs: 20, kind: 'stream' },
      [
        sdkClient(),
        naiveClient(),
        presetClient(PRESET, () => ({
          stream: createStreamPolicy({ timeout: { idleMs: IDLE_MS } }),
        })),
      ],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'completed', align: 'right' },
        { header: 'failed with an error', align: 'right' },
        { header: 'truncated silently', align: 'right' },
        { header: 'never settled', align: 'right' },
        { header: 'requests', align: 'right' },
        { header: 'p99 time to outcome', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        String(t.calls.filter((c) => c.outcome === 'failed' && !truncated(c)).length),
        String(t.calls.filter(truncated).length),
        String(pendingCalls(t)),
        String(t.requests.length),
        boundedDuration(latency(t, 99), CALL_BOUND_MS),
      ]),
    );
    const checks: Check[] = trials
      .filter((t) => t.client === PRESET)
      .flatMap((t) => [
        {
          client: PRESET,
          target: 'every call settles',
          measured: `${pendingCalls(t)} never settled`,
          pass: pendingCalls(t) === 0,
        },
        {
          client: PRESET,
          target: `p99 time to outcome ≤ idleMs + 200 ms (${duration(IDLE_MS + 200)})`,
          measured: boundedDuration(latency(t, 99), CALL_BOUND_MS),
          pass: latency(t, 99) <= IDLE_MS + 200,
        },
      ]);
    return {
      id: 'S5',
      title: 'S5: stalled streams',
      setup: `Every 10th stream the fake server starts stalls after 3 chunks and never ends; the others run to the end. 100 streamed chat calls, one every 20 ms, each read to its end; a call completes when its loop reaches the chunk carrying \`finish_reason\`, and a loop that ends before it without an error counts as truncated silently. The SDK keeps its defaults (a 10 min timeout) and the naive loop its 30 s timeout, which stops counting once a stream's headers have arrived (its stalled calls outlive it); this package runs \`createStreamPolicy({ timeout: { idleMs: ${IDLE_MS} } })\` (the preset's own idleMs, ${defaultIdle()}, is longer than the 40 s bound). A call not settled within the 40 s bound counts as never settled.`,
      table,
      checks,
    };
  },
};
