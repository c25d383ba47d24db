import OpenAI from 'openai';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, seededRandom } from '../../src/testing/index.js';
import type { ClientFactory } from '../clients.js';
import { boundedDuration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { makespan, requestsPerCall, successRate } from '../metrics.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS } from '../trial.js';

const WITH_FETCH = 'chatPolicy, fetch: policy.fetch';
const WITHOUT_FETCH = 'chatPolicy, no fetch';
const CALLS = 100;
const CALLS_PER_SEC = 10;
const MIN_MAX_TOKENS = 500;
const MAX_MAX_TOKENS = 3_000;
const TARGET_REQUESTS_PER_CALL = 1.1;
const MESSAGES = [{ role: 'user' as const, content: 'Say hi.' }];

/**
 * Each call's `max_tokens`: 500 to 3,000 evenly spread (1,750 on average), in an order shuffled
 * with a seed, the same for every client.
 */
const MAX_TOKENS: readonly number[] = (() => {
  const random = seededRandom(9);
  const values = Array.from({ length: CALLS }, (_, i) =>
    Math.round(MIN_MAX_TOKENS + ((MAX_MAX_TOKENS - MIN_MAX_TOKENS) * i) / (CALLS - 1)),
  );
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  return values;
})();

/** The call's index from the model name the trial gives it (`bench-call-N`). */
const indexOf = (model: string): number => Number(model.slice(model.lastIndexOf('-') + 1));

/**
 * This package's chat preset around the real openai client, each call asking for its own
 * `max_tokens` and declaring no tokens; with `fetch: policy.fetch` or without it.
 */
function headerClient(name: string, withFetch: boolean): ClientFactory {
  return {
    name,
    create(baseURL) {
      const policy = createChatPolicy();
      const client = new OpenAI({
        baseURL,
        apiKey: 'sk-bench-not-a-real-key',
        maxRetries: 0,
        ...(withFetch ? { fetch: policy.fetch } : {}),
      });
      return {
        async chat(model, signal) {
          const maxTokens = MAX_TOKENS[indexOf(model)] ?? MIN_MAX_TOKENS;
          await policy.execute(
            ({ signal: attemptSignal }) =>
              client.chat.completions.create(
                { model, messages: MESSAGES, max_tokens: maxTokens },
                { signal: attemptSignal },
              ),
            signal,
          );
        },
        stream() {
          return Promise.reject(new TypeError(`${name}: S9 sends no streams`));
        },
      };
    },
  };
}

/**
 * S9, a token budget the server reports: the fake server allows 600,000 tokens and 6,000 requests
 * a minute, its token bucket starting at 20,000, charges each request its `max_tokens` plus its
 * prompt's length, and sends OpenAI's `x-ratelimit-*` headers on every reply. 100 calls of 500 to
 * 3,000 `max_tokens`, 10 a second, with and without `fetch: policy.fetch`.
 */
export const s9HeaderBudget: Scenario = {
  id: 'S9',
  async run() {
    const trials = await runTrials(
      'S9',
      {
        script: () => replies.ok(),
        rateLimits: { requestsPerMinute: 6_000, tokensPerMinute: 600_000, startTokens: 20_000 },
        calls: CALLS,
        intervalMs: 1000 / CALLS_PER_SEC,
        kind: 'chat',
      },
      [headerClient(WITH_FETCH, true), headerClient(WITHOUT_FETCH, false)],
    );
    const table = markdownTable(
      [
        { header: 'client' },
        { header: 'success', align: 'right' },
        { header: 'requests/call', align: 'right' },
        { header: '429s', align: 'right' },
        { header: 'makespan', align: 'right' },
      ],
      trials.map((t) => [
        t.client,
        percent(successRate(t)),
        fixed2(requestsPerCall(t)),
        String(t.requests.length - t.calls.filter((c) => c.outcome === 'ok').length),
        boundedDuration(makespan(t), CALL_BOUND_MS),
      ]),
    );
    const checks: Check[] = trials
      .filter((t) => t.client === WITH_FETCH)
      .flatMap((t) => [
        {
          client: WITH_FETCH,
          target: 'success 100%',
          measured: percent(successRate(t)),
          pass: successRate(t) === 1,
        },
        {
          client: WITH_FETCH,
          target: `requests/call ≤ ${TARGET_REQUESTS_PER_CALL.toFixed(2)}`,
          measured: fixed2(requestsPerCall(t)),
          pass: requestsPerCall(t) <= TARGET_REQUESTS_PER_CALL,
        },
      ]);
    const demand = MAX_TOKENS.reduce((sum, n) => sum + n, 0);
    return {
      id: 'S9',
      title: 'S9: a token budget the server reports in its headers',
      setup: `The fake server allows 600,000 tokens and 6,000 requests a minute (10,000 tokens a second), its token bucket starting at 20,000 (the minute mostly spent); it charges each request its \`max_tokens\` plus its prompt's length and sends OpenAI's \`x-ratelimit-*\` headers on every reply. 100 calls through \`createChatPolicy()\` and the real openai client, 10 a second, asking for 500 to 3,000 \`max_tokens\` (${demand.toLocaleString('en-US')} in all: ${(demand / CALLS / 1000).toFixed(2)}x the refill at 10 calls a second), declaring no \`tokens\`: once with \`fetch: policy.fetch\` on the client, once without. "429s" counts the requests that did not succeed.`,
      table,
      checks,
    };
  },
};
