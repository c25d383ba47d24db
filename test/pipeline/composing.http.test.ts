import { bulkhead, wrap } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { type PolicyEventName, PolicyEvents } from '../../src/events.js';
import {
  CIRCUIT_BREAKER_DEFAULTS,
  createPolicy,
  llmCircuitBreaker,
  llmRetry,
  llmTimeout,
  RETRY_DEFAULTS,
  rateLimitGate,
} from '../../src/index.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, type Script } from '../../src/testing/index.js';
import { useScriptedChat } from '../support/fakeServer.js';
import { outcome, recordEvents } from '../support/pipeline.js';

// The stage factories in a user's own cockatiel wrap(), against createPolicy with the same
// stages: the real openai client (its own retries off) over real HTTP against the fake server.

const serve = useScriptedChat();

const QUICK = { initialDelayMs: 20, maxDelayMs: 40 };

/** The same stages twice: in the user's own wrap(), and as createPolicy builds them. */
function bothPipelines() {
  const events = new PolicyEvents();
  const reporting = { name: 'mine', events };
  const composed = wrap(
    bulkhead(10),
    llmRetry({ maxRetries: 3, ...QUICK, ...reporting }),
    rateLimitGate(reporting),
    llmCircuitBreaker(reporting),
    llmTimeout({ attemptMs: 30_000, ...reporting }),
  );
  const built = createPolicy({
    name: 'mine',
    bulkhead: { maxConcurrent: 10, maxQueued: 0 },
    retry: { ...RETRY_DEFAULTS, maxRetries: 3, ...QUICK },
    rateLimit: {},
    circuitBreaker: CIRCUIT_BREAKER_DEFAULTS,
    timeout: { attemptMs: 30_000 },
  });
  return { composed, built, events };
}

/** An event without what timing decides (durations, jittered delays) and request ids. */
function shape([name, event]: [PolicyEventName, unknown]): unknown {
  const { durationMs: _d, delayMs: _w, waitMs: _x, ...rest } = event as Record<string, unknown>;
  const reason = rest.reason as Record<string, unknown> | undefined;
  if (reason !== undefined) rest.reason = { ...reason, requestId: undefined };
  return [name, rest];
}

describe('stage factories in your own wrap()', () => {
  it.each([
    [
      'a 429, a 500, then an answer',
      [replies.rateLimit({ retryAfterMs: 30 }), replies.status(500), replies.ok()],
    ],
    ['insufficient_quota', [replies.quota()]],
    [
      'four 503s',
      [replies.status(503), replies.status(503), replies.status(503), replies.status(503)],
    ],
  ] as [string, Script][])(
    '%s: the same outcome, requests, events and classifications as createPolicy',
    async (_name, script) => {
      const { composed, built, events } = bothPipelines();
      const seen: ReturnType<typeof recordEvents>[] = [
        recordEvents({ events }),
        recordEvents(built),
      ];
      const runs = [];
      for (const policy of [composed, built]) {
        const { server, chat } = await serve(script);
        const result = await outcome(policy.execute(chat));
        runs.push({
          requests: server.requests.length,
          value: result.value?.choices[0]?.message.content,
          error: result.error?.constructor.name,
        });
      }
      expect(runs[0]).toEqual(runs[1]);
      const [mine, theirs] = seen.map((events) =>
        events.filter(([name]) => name !== 'paced').map(shape),
      );
      expect(mine).toEqual(theirs);
      expect(mine?.length).toBeGreaterThan(1);
    },
  );
});

describe('the retry event tells the real wait', () => {
  it('a 429 with retry-after-ms 300 held by the gate: retry.delayMs >= 290', async () => {
    const { server, chat } = await serve([replies.rateLimit({ retryAfterMs: 300 }), replies.ok()]);
    const policy = createChatPolicy();
    const events = recordEvents(policy);
    await policy.execute(chat);
    expect(server.requests).toHaveLength(2);
    const retry = events.find(([name]) => name === 'retry')?.[1] as { delayMs: number };
    expect(retry.delayMs).toBeGreaterThanOrEqual(290);
    expect(retry.delayMs).toBeLessThanOrEqual(300);
  });
});
