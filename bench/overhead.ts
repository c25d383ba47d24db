import {
  bulkhead,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { Bench } from 'tinybench';
import { CHAT_POLICY_DEFAULTS, createChatPolicy } from '../src/policies/chat.js';
import { fixed2 } from './format.js';
import { markdownTable } from './markdownTable.js';
import type { Check, Scenario } from './scenario.js';
import { percentile } from './stats.js';

/** Rounds of the whole bench: the spread of a ratio is its range over the rounds. */
const ROUNDS = 8;
/** chatPolicy's per-call cost at most this times that of cockatiel's wrap of the same stages. */
const TARGET_RATIO = 0.4;
const BARE = 'bare call';
const TIMEOUT_ONLY = 'cockatiel timeout alone (cooperative)';
const COCKATIEL_FOUR = 'cockatiel wrap(bulkhead, timeout, retry, breaker)';
const COCKATIEL = 'cockatiel wrap(bulkhead, timeout, retry, breaker, timeout)';
const CHAT = 'chatPolicy (createChatPolicy())';
const CHAT_NO_GATE = 'createChatPolicy({ rateLimit: false })';
const NAMES = [BARE, TIMEOUT_ONLY, COCKATIEL_FOUR, COCKATIEL, CHAT_NO_GATE, CHAT];

/** The work under every pipeline: a function that resolves at once. */
const work = (): Promise<number> => Promise.resolve(1);

/** A copy of `items` in random order (Fisher-Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Formats a spread as `median (min to max)`. */
function spread(values: readonly number[], digits: (v: number) => string): string {
  const median = percentile(values, 50) ?? Number.NaN;
  return `${digits(median)} (${digits(Math.min(...values))} to ${digits(Math.max(...values))})`;
}

/**
 * The per-call cost of `chatPolicy` (a fresh `createChatPolicy()`, rate-limit gate on as in the
 * preset) on a function that resolves at once, against the bare call and against cockatiel's own
 * `wrap()` of the same stages, all in one process with tinybench, over {@link ROUNDS} rounds.
 */
export const overhead: Scenario = {
  id: 'overhead',
  async run() {
    const chat = createChatPolicy();
    const chatNoGate = createChatPolicy({ rateLimit: false });
    // cockatiel's own policies with the preset's settings (CHAT_POLICY_DEFAULTS), in its order.
    const { bulkhead: b, retry: r, timeout: t, circuitBreaker: c } = CHAT_POLICY_DEFAULTS;
    if (!b || !r || !t || !c || t.totalMs === undefined || t.attemptMs === undefined) {
      throw new Error('overhead: the chat preset no longer has every stage this bench mirrors');
    }
    const stages = {
      bulkhead: () => bulkhead(b.maxConcurrent, b.maxQueued),
      total: () => timeout(t.totalMs ?? 0, TimeoutStrategy.Cooperative),
      retry: () =>
        retry(handleAll, { maxAttempts: r.maxRetries, backoff: new ExponentialBackoff() }),
      breaker: () =>
        circuitBreaker(handleAll, {
          halfOpenAfter: c.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker('consecutiveFailures' in c ? c.consecutiveFailures : 5),
        }),
      attempt: () => timeout(t.attemptMs ?? 0, TimeoutStrategy.Cooperative),
    };
    const cockatielFour = wrap(stages.bulkhead(), stages.total(), stages.retry(), stages.breaker());
    const cockatiel = wrap(
      stages.bulkhead(),
      stages.total(),
      stages.retry(),
      stages.breaker(),
      stages.attempt(),
    );
    const timeoutOnly = stages.attempt();
    const means = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`overhead: round ${round + 1} of ${ROUNDS}\n`);
      const bench = new Bench({ time: 400, warmupTime: 100 });
      const tasks: Record<string, () => Promise<number>> = {
        [BARE]: () => work(),
        [TIMEOUT_ONLY]: () => timeoutOnly.execute(work),
        [COCKATIEL_FOUR]: () => cockatielFour.execute(work),
        [COCKATIEL]: () => cockatiel.execute(work),
        [CHAT_NO_GATE]: () => chatNoGate.execute(work),
        [CHAT]: () => chat.execute(work),
      };
      // A new order each round, so no pipeline always runs after the same one (GC debt, JIT).
      for (const name of shuffled(NAMES)) bench.add(name, tasks[name] ?? work);
      await bench.run();
      for (const name of NAMES) {
        const result = bench.getTask(name)?.result;
        if (result?.state !== 'completed') throw new Error(`overhead: ${name} did not complete`);
        means.set(name, [...(means.get(name) ?? []), result.latency.mean * 1000]);
      }
    }
    /** Round by round, the mean of `name` over the mean of `base`. */
    const ratios = (name: string, base: string): number[] => {
      const bases = means.get(base) ?? [];
      return (means.get(name) ?? []).map((v, i) => v / (bases[i] ?? Number.NaN));
    };
    const table = markdownTable(
      [
        { header: 'pipeline' },
        { header: 'µs per call, median (min to max)', align: 'right' },
        { header: 'ratio to the bare call', align: 'right' },
        { header: 'ratio to the cockatiel wrap of the same stages', align: 'right' },
      ],
      NAMES.map((name) => [
        name,
        spread(means.get(name) ?? [], (v) => v.toFixed(2)),
        spread(ratios(name, BARE), fixed2),
        spread(ratios(name, COCKATIEL), fixed2),
      ]),
    );
    const toCockatiel = ratios(CHAT, COCKATIEL);
    const checks: Check[] = [
      {
        client: CHAT,
        target: `≤ ${fixed2(TARGET_RATIO)} × cockatiel's wrap of the same stages (median of ${ROUNDS} rounds)`,
        measured: `${spread(toCockatiel, fixed2)}; ${spread(ratios(CHAT, COCKATIEL_FOUR), fixed2)} × the wrap with one timeout`,
        pass: (percentile(toCockatiel, 50) ?? Number.NaN) <= TARGET_RATIO,
      },
    ];
    return {
      id: 'overhead',
      title: 'Per-call overhead',
      setup: `The cost of one call through each pipeline around a function that resolves at once, measured with tinybench in one process: ${ROUNDS} rounds, each running every pipeline, in a new random order, for 0.4 s after a 0.1 s warm-up. A figure is the mean time per call in a round, and a ratio is taken round by round; each is shown as the median over the rounds with their range (min to max). The cockatiel wraps use cockatiel's own policies with the chat preset's settings, in the preset's order: bulkhead (${b.maxConcurrent}, queue ${b.maxQueued}), a cooperative timeout (cockatiel's default strategy; the total, ${t.totalMs} ms), retry (${r.maxRetries}, exponential backoff), a consecutive breaker, and, for "the same stages", the attempt timeout (${t.attemptMs} ms) as well, since \`chatPolicy\` has both timeouts. \`chatPolicy\` is a fresh \`createChatPolicy()\`, rate-limit gate included; the row without the gate shows what the gate costs. This package runs from its TypeScript sources through tsx (as every bench does), cockatiel from its published JavaScript.`,
      table,
      checks,
    };
  },
};
