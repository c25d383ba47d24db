import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DataPointType, type Histogram } from '@opentelemetry/sdk-metrics';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyEvents } from '../../src/events.js';
import { instrument } from '../../src/otel/index.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { replies, startFakeOpenAI } from '../../src/testing/index.js';
import { counterSum, histogramCount, pointsOf, useTelemetry } from './support.js';

const PROMPT = 'my secret prompt 4242';
const KEY = 'sk-otel-test-key';
const telemetry = useTelemetry();

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  telemetry.spans.reset();
});

async function fakeClient() {
  const server = await startFakeOpenAI({ script: replies.ok() });
  const client = new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
  return { server, client };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('instrument over real HTTP with the real OpenTelemetry SDK', () => {
  it('a retry, a 429 held by the gate, an outage opening the breaker, a stream', async () => {
    const { server, client } = await fakeClient();
    const { meterProvider, tracerProvider } = telemetry;
    const attributes = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
    const chat = createChatPolicy({
      retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 40 },
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 300 },
    });
    const stream = createStreamPolicy({ retry: { initialDelayMs: 20, maxDelayMs: 40 } });
    stops.push(instrument(chat, { meterProvider, tracerProvider, attributes }));
    stops.push(instrument(stream, { meterProvider, tracerProvider, attributes }));
    const httpTracer = tracerProvider.getTracer('sdk-http');
    const ask = ({ signal }: { signal: AbortSignal }) =>
      httpTracer.startActiveSpan('POST /chat/completions', (span) =>
        client.chat.completions
          .create(
            { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] },
            { signal },
          )
          .finally(() => span.end()),
      );
    try {
      // A retry: a 500, then an answer.
      server.setScript([replies.serverError(), replies.ok()]);
      await chat.execute(ask);
      // A 429 held by the gate for 250 ms, then an answer.
      server.setScript([replies.rateLimit({ retryAfterMs: 250 }), replies.ok()]);
      await chat.execute(ask);
      // An outage: two 500s open the breaker, the call fails.
      server.setScript(replies.serverError());
      await expect(chat.execute(ask)).rejects.toThrow();
      const during = await telemetry.collect();
      expect(pointsOf<number>(during.get('llm_resilience.circuit.state'))[0]?.value).toBe(2);
      // The service is back: the half-open trial closes the breaker.
      server.setScript(replies.ok());
      await sleep(350);
      await chat.execute(ask);
      // A stream read to its end.
      const chunks = await stream.execute(({ signal }) =>
        client.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], stream: true },
          { signal },
        ),
      );
      let read = 0;
      for await (const _ of chunks) read++;
      expect(read).toBeGreaterThan(0);
    } finally {
      await server.close();
    }

    const metrics = await telemetry.collect();
    const chatOnly = { 'llm_resilience.policy': 'chat' };
    const operation = metrics.get('gen_ai.client.operation.duration');
    expect(operation?.descriptor).toMatchObject({ unit: 's' });
    expect(operation?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(histogramCount(operation, chatOnly)).toBe(4);
    const failed = pointsOf<Histogram>(operation, { ...chatOnly, 'error.type': 'aborted' });
    expect(failed.map((p) => p.value.count)).toEqual([1]);
    expect(failed[0]?.attributes).toEqual({
      ...attributes,
      ...chatOnly,
      'error.type': 'aborted',
    });
    expect(histogramCount(operation, { 'llm_resilience.policy': 'stream' })).toBe(1);
    // The 429 call took at least the gate's 250 ms.
    const ok = pointsOf<Histogram>(operation, chatOnly).find(
      (p) => !('error.type' in p.attributes),
    );
    expect(ok?.value.max).toBeGreaterThanOrEqual(0.25);

    const events = metrics.get('llm_resilience.events');
    expect(events?.dataPointType).toBe(DataPointType.SUM);
    const count = (name: string, extra = {}) =>
      counterSum(events, { ...chatOnly, 'event.name': name, ...extra });
    // Retries: one after the 500, one after the 429; in the outage, one after the first 500 and
    // one after the second (which opens the breaker); the third attempt is refused by the open
    // breaker (`aborted`: nothing was sent) and the call gives up, failing as `aborted`.
    expect(count('retry', { 'error.type': 'server', 'event.severity': 'warn' })).toBe(3);
    expect(count('retry', { 'error.type': 'rate_limit' })).toBe(1);
    expect(count('rateLimited', { 'error.type': 'rate_limit' })).toBe(1);
    expect(count('break', { 'event.severity': 'error', 'error.type': 'server' })).toBe(1);
    expect(count('halfOpen')).toBe(1);
    expect(count('giveUp', { 'error.type': 'aborted' })).toBe(1);
    expect(count('reset', { 'event.severity': 'info' })).toBe(1);
    expect(count('success', { 'event.severity': 'debug' })).toBe(3);
    expect(count('failure', { 'error.type': 'aborted' })).toBe(1);

    const attempts = metrics.get('llm_resilience.attempt.duration');
    expect(attempts?.descriptor.unit).toBe('s');
    expect(histogramCount(attempts, { ...chatOnly, 'llm_resilience.attempt.number': 1 })).toBe(4);
    expect(histogramCount(attempts, { ...chatOnly, 'error.type': 'rate_limit' })).toBe(1);
    expect(histogramCount(attempts, { ...chatOnly, 'error.type': 'server' })).toBe(3);
    expect(histogramCount(attempts, { ...chatOnly, 'error.type': 'aborted' })).toBe(1);

    const gate = metrics.get('llm_resilience.rate_limit.wait');
    expect(gate?.descriptor.unit).toBe('s');
    const held = pointsOf<Histogram>(gate, chatOnly)[0]?.value;
    expect(held?.max).toBeGreaterThanOrEqual(0.2);
    expect(held?.max).toBeLessThan(1);

    expect(pointsOf<number>(metrics.get('llm_resilience.circuit.state'), chatOnly)[0]?.value).toBe(
      0,
    );

    const firstChunk = metrics.get('gen_ai.client.operation.time_to_first_chunk');
    expect(firstChunk?.descriptor.unit).toBe('s');
    expect(histogramCount(firstChunk, { 'llm_resilience.policy': 'stream' })).toBe(1);
    expect(histogramCount(firstChunk, chatOnly)).toBe(0);

    // Traces: one CLIENT span per call, named after the policy, with the HTTP spans inside.
    const spans = telemetry.spans.getFinishedSpans();
    const calls = spans.filter((s) => s.instrumentationScope.name === 'llm-resilience');
    expect(calls.map((s) => s.name)).toEqual(['chat', 'chat', 'chat', 'chat', 'stream']);
    for (const call of calls) expect(call.kind).toBe(SpanKind.CLIENT);
    const [retried, limited, outage] = calls;
    const names = (span: typeof limited) =>
      span?.events.map((e) => e.name).filter((name) => name !== 'gateWait');
    expect(retried?.attributes['http.request.resend_count']).toBe(1);
    expect(names(retried)).toEqual(['attempt', 'retry', 'attempt']);
    expect(retried?.events.find((e) => e.name === 'retry')?.attributes).toMatchObject({
      attempt: 1,
      'error.type': 'server',
      'http.response.status_code': 500,
    });
    expect(retried?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(names(limited)).toEqual(['rateLimited', 'attempt', 'retry', 'attempt']);
    const waits = limited?.events.filter((e) => e.name === 'gateWait');
    expect(waits?.at(-1)?.attributes).toMatchObject({ attempt: 2 });
    expect(waits?.at(-1)?.attributes?.waitMs).toBeGreaterThanOrEqual(200);
    expect(outage?.status.code).toBe(SpanStatusCode.ERROR);
    expect(outage?.attributes['error.type']).toBe('aborted');
    expect(outage?.events.map((e) => e.name)).toContain('break');
    const http = spans.filter((s) => s.instrumentationScope.name === 'sdk-http');
    expect(http).toHaveLength(7); // 2 + 2 + 2 in the outage (the breaker refuses the third) + 1
    const ids = new Set(calls.map((s) => s.spanContext().spanId));
    for (const span of http) expect(ids.has(span.parentSpanContext?.spanId ?? '')).toBe(true);

    // Nothing sensitive in any attribute of any metric point, span or span event.
    const everything = JSON.stringify([
      [...metrics.values()].map((m) => m.dataPoints.map((p) => p.attributes)),
      calls.map((s) => [s.attributes, s.events.map((e) => e.attributes)]),
    ]);
    for (const secret of [KEY, 'Bearer', PROMPT, 'The server had an error']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('stops: no more metrics, spans or wrapped execute', async () => {
    const { server, client } = await fakeClient();
    const { meterProvider, tracerProvider } = telemetry;
    const policy = createPolicy({
      name: 'stopped',
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 100 },
    });
    const execute = policy.execute;
    const stop = instrument(policy, { meterProvider, tracerProvider });
    expect(policy.execute).not.toBe(execute);
    stop();
    stop();
    expect(policy.execute).toBe(execute);
    try {
      await policy.execute(({ signal }) =>
        client.embeddings.create({ model: 'text-embedding-3-small', input: PROMPT }, { signal }),
      );
    } finally {
      await server.close();
    }
    const metrics = await telemetry.collect();
    const mine = { 'llm_resilience.policy': 'stopped' };
    expect(histogramCount(metrics.get('gen_ai.client.operation.duration'), mine)).toBe(0);
    expect(pointsOf(metrics.get('llm_resilience.circuit.state'), mine)).toEqual([]);
    expect(telemetry.spans.getFinishedSpans().filter((s) => s.name === 'stopped')).toEqual([]);
  });
});

describe('instrument on any emitter of the package', () => {
  it('counts a fallback event with its reason, in the call span when there is one', async () => {
    const { meterProvider, tracerProvider } = telemetry;
    const events = new PolicyEvents();
    const policy = {
      name: 'fallbacks',
      events,
      async execute(fn: () => Promise<string>) {
        const value = await fn();
        (events.emit as (name: string, event: object) => boolean)('fallback', {
          policy: 'fallbacks',
          reason: { kind: 'overloaded', status: 529, message: 'secret text' },
        });
        return value;
      },
    };
    stops.push(instrument(policy, { meterProvider, tracerProvider }));
    await expect(policy.execute(async () => 'ok')).resolves.toBe('ok');
    const metrics = await telemetry.collect();
    expect(
      counterSum(metrics.get('llm_resilience.events'), {
        'llm_resilience.policy': 'fallbacks',
        'event.name': 'fallback',
        'error.type': 'overloaded',
      }),
    ).toBe(1);
    const [span] = telemetry.spans.getFinishedSpans().filter((s) => s.name === 'fallbacks');
    expect(span?.events.map((e) => [e.name, e.attributes])).toEqual([
      ['fallback', { 'error.type': 'overloaded', 'http.response.status_code': 529 }],
    ]);
  });

  it('a span for a call that throws at once, with the active span as parent', async () => {
    const { meterProvider, tracerProvider } = telemetry;
    const policy = {
      name: 'throws',
      events: new PolicyEvents(),
      execute(): Promise<never> {
        throw new TypeError('fn must be a function');
      },
    };
    stops.push(instrument(policy, { meterProvider, tracerProvider }));
    const outer = tracerProvider.getTracer('app').startSpan('request');
    expect(() =>
      context.with(trace.setSpan(context.active(), outer), () => policy.execute()),
    ).toThrow(TypeError);
    outer.end();
    const [span] = telemetry.spans.getFinishedSpans().filter((s) => s.name === 'throws');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('_OTHER');
    expect(span?.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('refuses what is not a policy, and bad options, naming them', () => {
    expect(() => instrument({} as never)).toThrow(/policy must be a policy of llm-resilience.*got/);
    const policy = createPolicy();
    expect(() => instrument(policy, { meterProvider: 3 } as never)).toThrow(
      /options.meterProvider must be a MeterProvider, got 3/,
    );
    expect(() => instrument(policy, { tracerProvider: {} } as never)).toThrow(
      /options.tracerProvider/,
    );
    expect(() => instrument(policy, { attributes: 'x' } as never)).toThrow(/options.attributes/);
    expect(() => instrument(policy, null as never)).toThrow(/options must be an object, got null/);
  });
});
