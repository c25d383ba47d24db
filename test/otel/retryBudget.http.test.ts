import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { logEvents } from '../../src/logEvents.js';
import { instrument } from '../../src/otel/index.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { replies, startFakeOpenAI } from '../../src/testing/index.js';
import { counterSum, useTelemetry } from './support.js';

const telemetry = useTelemetry();
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  telemetry.spans.reset();
});

describe('a call given up for the retry budget, instrumented and logged', () => {
  it('counts it as giveUp with its error type and why, puts why on the span event, logs the why', async () => {
    const server = await startFakeOpenAI({ script: replies.serverError() });
    const client = new OpenAI({ apiKey: 'sk-budget-test', baseURL: server.baseURL, maxRetries: 0 });
    const { meterProvider, tracerProvider } = telemetry;
    const chat = createChatPolicy({
      name: 'budgeted',
      retry: { initialDelayMs: 20, maxDelayMs: 40 },
      circuitBreaker: false,
      retryBudget: { percent: 0, minPerSec: 0.1, windowMs: 10_000 },
    });
    stops.push(instrument(chat, { meterProvider, tracerProvider }));
    const lines: string[] = [];
    const log = (line: unknown) => {
      lines.push(String(line));
    };
    stops.push(
      logEvents(chat, { debug: log, info: log, warn: log, error: log }, { format: 'line' }),
    );
    try {
      for (let i = 0; i < 2; i++) {
        await expect(
          chat.execute(({ signal }) =>
            client.chat.completions.create(
              { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
              { signal },
            ),
          ),
        ).rejects.toMatchObject({ status: 500 });
      }
      expect(server.requests).toHaveLength(3);
    } finally {
      await server.close();
    }
    const metrics = await telemetry.collect();
    const events = metrics.get('llm_resilience.events');
    const giveUp = {
      'llm_resilience.policy': 'budgeted',
      'event.name': 'giveUp',
      'event.severity': 'error',
      'error.type': 'server',
      'llm_resilience.give_up.why': 'retry_budget',
    };
    expect(counterSum(events, giveUp)).toBe(2);
    expect(counterSum(events, { 'event.name': 'retry' })).toBe(1);
    const spans = telemetry.spans.getFinishedSpans().filter((s) => s.name === 'budgeted');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.events.find((e) => e.name === 'giveUp')?.attributes).toMatchObject({
        why: 'retry_budget',
        'error.type': 'server',
      });
    }
    expect(lines.filter((line) => line.includes(': giveUp '))).toEqual([
      expect.stringMatching(
        /^llm-resilience budgeted: giveUp attempts=2 kind=server status=500 .*why=retry_budget - /,
      ),
      expect.stringMatching(
        /^llm-resilience budgeted: giveUp attempts=1 kind=server status=500 .*why=retry_budget - /,
      ),
    ]);
  });
});
