import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DataPointType, type Histogram } from '@opentelemetry/sdk-metrics';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyEvent } from '../../src/events.js';
import { instrument } from '../../src/otel/index.js';
import { createFallbackPolicy } from '../../src/pipeline/LlmFallbackPolicy.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { replies, startFakeOpenAI } from '../../src/testing/index.js';
import {
  counterSum,
  histogramCount,
  hrTimeToMilliseconds,
  pointsOf,
  useTelemetry,
} from './support.js';

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
  it('a retry, a 429 held by the gate, an outage opening the breaker, a stream, a fallback', async () => {
    const { server, client } = await fakeClient();
    const secondary = await startFakeOpenAI({ script: replies.ok({ content: 'from the second' }) });
    const secondClient = new OpenAI({ apiKey: KEY, baseURL: secondary.baseURL, maxRetries: 0 });
    const { meterProvider, tracerProvider } = telemetry;
    const attributes = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
    const chat = createChatPolicy({
      retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 40 },
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 300 },
    });
    const stream = createStreamPolicy({ retry: { initialDelayMs: 20, maxDelayMs: 40 } });
    stops.push(instrument(chat, { meterProvider, tracerProvider, attributes }));
    stops.push(instrument(stream, { meterProvider, tracerProvider, attributes }));
    // A fallback policy whose two routes go through policies of their own, to two servers.
    const route = (name: string, to: OpenAI) => ({
      name,
      policy: createChatPolicy({ name, retry: { maxRetries: 0 } }),
      call: (input: string, { signal }: { signal: AbortSignal }) =>
        to.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: input }] },
          { signal },
        ),
    });
    const first = route('first', client);
    const second = route('second', secondClient);
    const fallback = createFallbackPolicy<string, unknown>({
      name: 'ask',
      routes: [first, second],
    });
    for (const policy of [fallback, first.policy, second.policy]) {
      stops.push(instrument(policy, { meterProvider, tracerProvider, attributes }));
    }
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
      // An outage: two 500s open the breaker for 300 ms; the call waits for its trial, which
      // fails (the breaker opens again, for 600 ms), and the call fails with the server's error.
      server.setScript(replies.serverError());
      await expect(chat.execute(ask)).rejects.toThrow();
      const during = await telemetry.collect();
      expect(pointsOf<number>(during.get('llm_resilience.circuit.state'))[0]?.value).toBe(2);
      // The service is back: the half-open trial closes the breaker.
      server.setScript(replies.ok());
      await sleep(650);
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
      // A fallback: the first route's server fails, the second answers.
      server.setScript(replies.serverError());
      await expect(fallback.execute(PROMPT)).resolves.toMatchObject({ route: 'second' });
    } finally {
      await Promise.all([server.close(), secondary.close()]);
    }

    const metrics = await telemetry.collect();
    const chatOnly = { 'llm_resilience.policy': 'chat' };
    const operation = metrics.get('gen_ai.client.operation.duration');
    expect(operation?.descriptor).toMatchObject({ unit: 's' });
    expect(operation?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(histogramCount(operation, chatOnly)).toBe(4);
    const failed = pointsOf<Histogram>(operation, { ...chatOnly, 'error.type': 'server' });
    expect(failed.map((p) => p.value.count)).toEqual([1]);
    expect(failed[0]?.attributes).toEqual({
      ...attributes,
      ...chatOnly,
      'error.type': 'server',
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
    // one after the second (which opens the breaker, and waits for its trial); the trial, the
    // third attempt, fails: the breaker opens again and the call gives up with the server's error.
    expect(count('retry', { 'error.type': 'server', 'event.severity': 'warn' })).toBe(3);
    expect(count('retry', { 'error.type': 'rate_limit' })).toBe(1);
    expect(count('rateLimited', { 'error.type': 'rate_limit' })).toBe(1);
    expect(count('break', { 'event.severity': 'error', 'error.type': 'server' })).toBe(2);
    expect(count('halfOpen')).toBe(2);
    expect(count('giveUp', { 'error.type': 'server' })).toBe(1);
    expect(count('reset', { 'event.severity': 'info' })).toBe(1);
    expect(count('success', { 'event.severity': 'debug' })).toBe(3);
    expect(count('failure', { 'error.type': 'server' })).toBe(1);

    const attempts = metrics.get('llm_resilience.attempt.duration');
    expect(attempts?.descriptor.unit).toBe('s');
    expect(histogramCount(attempts, { ...chatOnly, 'llm_resilience.attempt.number': 1 })).toBe(4);
    expect(histogramCount(attempts, { ...chatOnly, 'error.type': 'rate_limit' })).toBe(1);
    expect(histogramCount(attempts, { ...chatOnly, 'error.type': 'server' })).toBe(4);
    expect(histogramCount(attempts, { ...chatOnly, 'error.type': 'aborted' })).toBe(0);

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

    // The fallback: its event counted with its reason, its call timed as one operation.
    expect(
      counterSum(events, {
        'llm_resilience.policy': 'ask',
        'event.name': 'fallback',
        'event.severity': 'warn',
        'error.type': 'server',
      }),
    ).toBe(1);
    const askOnly = { 'llm_resilience.policy': 'ask' };
    expect(pointsOf<Histogram>(operation, askOnly).map((p) => p.attributes)).toEqual([
      { ...attributes, ...askOnly },
    ]);
    expect(
      histogramCount(operation, { 'llm_resilience.policy': 'first', 'error.type': 'server' }),
    ).toBe(1);
    expect(histogramCount(operation, { 'llm_resilience.policy': 'second' })).toBe(1);

    // Traces: one CLIENT span per call, named after the policy, with the HTTP spans inside.
    const spans = telemetry.spans.getFinishedSpans();
    const calls = spans.filter((s) => s.instrumentationScope.name === 'llm-resilience');
    expect(calls.map((s) => s.name)).toEqual([
      'chat',
      'chat',
      'chat',
      'chat',
      'stream',
      'first',
      'second',
      'ask',
    ]);
    for (const call of calls) expect(call.kind).toBe(SpanKind.CLIENT);
    const [retried, limited, outage] = calls;
    // The fallback's span: its fallback event, the routes' spans inside it.
    const [firstSpan, secondSpan, askSpan] = calls.slice(5);
    expect(askSpan?.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'fallback',
        { from: 'first', to: 'second', 'error.type': 'server', 'http.response.status_code': 500 },
      ],
    ]);
    expect(askSpan?.attributes['http.request.resend_count']).toBe(1);
    expect(askSpan?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(firstSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(firstSpan?.attributes['error.type']).toBe('server');
    for (const span of [firstSpan, secondSpan]) {
      expect(span?.parentSpanContext?.spanId).toBe(askSpan?.spanContext().spanId);
    }
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
    expect(outage?.attributes['error.type']).toBe('server');
    expect(outage?.events.map((e) => e.name)).toContain('break');
    const http = spans.filter((s) => s.instrumentationScope.name === 'sdk-http');
    expect(http).toHaveLength(8); // 2 + 2 + 3 in the outage (the third is the breaker's trial) + 1
    const ids = new Set(calls.slice(0, 4).map((s) => s.spanContext().spanId));
    for (const span of http) expect(ids.has(span.parentSpanContext?.spanId ?? '')).toBe(true);

    // Nothing sensitive in any attribute of any metric point, span or span event.
    const everything = JSON.stringify([
      [...metrics.values()].map((m) => m.dataPoints.map((p) => p.attributes)),
      calls.map((s) => [s.attributes, s.events.map((e) => e.attributes)]),
    ]);
    for (const secret of [KEY, 'Bearer', PROMPT, 'The server had an error', 'from the second']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('a stream policy’s span lasts until its stream ends, fails or is released', async () => {
    const { server, client } = await fakeClient();
    const { meterProvider, tracerProvider } = telemetry;
    const policy = createStreamPolicy({ name: 'streams', retry: { maxRetries: 0 } });
    stops.push(instrument(policy, { meterProvider, tracerProvider }));
    const ends: PolicyEvent<'streamEnd'>[] = [];
    policy.events.on('streamEnd', (e) => ends.push(e));
    const open = () =>
      policy.execute(({ signal }) =>
        client.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], stream: true },
          { signal },
        ),
      );
    const spanOf = (index: number) =>
      telemetry.spans.getFinishedSpans().filter((s) => s.name === 'streams')[index];
    const endMs = (index: number) => hrTimeToMilliseconds(spanOf(index)?.endTime ?? [0, 0]);
    const chunks = ['one ', 'two ', 'three ', 'four'];
    try {
      // Read to the end: the span is still open at the first chunk, and ends after the last.
      server.setScript(replies.stream({ chunks, chunkDelayMs: 60 }));
      const whole = await open();
      expect(spanOf(0)).toBeUndefined();
      let lastChunkAt = 0;
      for await (const _ of whole) lastChunkAt = Date.now();
      expect(endMs(0)).toBeGreaterThanOrEqual(lastChunkAt - 1);
      expect(spanOf(0)?.status.code).toBe(SpanStatusCode.UNSET);

      // Failed mid-way (the server's SSE error event after two chunks): an error span.
      server.setScript(replies.stream({ chunks, errorAfter: 2 }));
      const failing = await open();
      await expect(
        (async () => {
          for await (const _ of failing);
        })(),
      ).rejects.toThrow();
      expect(ends[1]?.outcome).toBe('failed');
      const failedKind = ends[1]?.reason?.kind;
      expect(failedKind).toBe('server');
      expect(spanOf(1)?.status.code).toBe(SpanStatusCode.ERROR);
      expect(spanOf(1)?.attributes['error.type']).toBe(failedKind);

      // Cancelled by the consumer after its first chunk: the span ends then, without an error.
      server.setScript(replies.stream({ chunks, chunkDelayMs: 60 }));
      const left = await open();
      let leftAt = 0;
      for await (const _ of left) {
        leftAt = Date.now();
        break;
      }
      expect(ends[2]?.outcome).toBe('released');
      expect(spanOf(2)?.status.code).toBe(SpanStatusCode.UNSET);
      expect(endMs(2)).toBeGreaterThanOrEqual(leftAt - 1);
    } finally {
      await server.close();
    }
    const metrics = await telemetry.collect();
    const mine = { 'llm_resilience.policy': 'streams' };
    // The time to first chunk is taken at the first chunk, the operation at the stream's end.
    const firstChunk = pointsOf<Histogram>(
      metrics.get('gen_ai.client.operation.time_to_first_chunk'),
      mine,
    );
    expect(firstChunk[0]?.value.count).toBe(3);
    const operation = metrics.get('gen_ai.client.operation.duration');
    expect(histogramCount(operation, mine)).toBe(3);
    expect(histogramCount(operation, { ...mine, 'error.type': 'server' })).toBe(1);
    const whole = telemetry.spans.getFinishedSpans().find((s) => s.name === 'streams');
    const wholeMs = hrTimeToMilliseconds(whole?.duration ?? [0, 0]);
    // The whole stream took three more chunk delays than its first chunk.
    expect(wholeMs).toBeGreaterThanOrEqual(3 * 60);
    expect(firstChunk[0]?.value.min).toBeLessThan(wholeMs / 1000);
  });

  it('instruments one policy several times; each stop ends its own, in either order', async () => {
    const { server, client } = await fakeClient();
    const { meterProvider, tracerProvider } = telemetry;
    const policy = createPolicy({
      name: 'twice',
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 100 },
    });
    const embed = () =>
      policy.execute(({ signal }) =>
        client.embeddings.create({ model: 'text-embedding-3-small', input: PROMPT }, { signal }),
      );
    const spansBy = () => {
      const mine = telemetry.spans.getFinishedSpans().filter((s) => s.name === 'twice');
      telemetry.spans.reset();
      return mine.map((s) => s.attributes.which).sort();
    };
    try {
      for (const order of [
        ['a', 'b'],
        ['b', 'a'],
      ]) {
        const stopOf: Record<string, () => void> = {
          a: instrument(policy, { meterProvider, tracerProvider, attributes: { which: 'a' } }),
          b: instrument(policy, { meterProvider, tracerProvider, attributes: { which: 'b' } }),
        };
        await embed();
        expect(spansBy()).toEqual(['a', 'b']);
        const [firstStopped, stillOn] = order as [string, string];
        stopOf[firstStopped]?.();
        stopOf[firstStopped]?.();
        await embed();
        expect(spansBy()).toEqual([stillOn]);
        stopOf[stillOn]?.();
        await embed();
        expect(spansBy()).toEqual([]);
      }
    } finally {
      await server.close();
    }
    const metrics = await telemetry.collect();
    const operation = metrics.get('gen_ai.client.operation.duration');
    // a: 2 calls then 1 (stopped first, then second); b: 2 then 1 the other way round.
    expect(histogramCount(operation, { 'llm_resilience.policy': 'twice', which: 'a' })).toBe(3);
    expect(histogramCount(operation, { 'llm_resilience.policy': 'twice', which: 'b' })).toBe(3);
    expect(pointsOf(metrics.get('llm_resilience.circuit.state'), { which: 'a' })).toEqual([]);
  });

  it('a call whose signal has aborted already gets its span, under the active span', async () => {
    const { meterProvider, tracerProvider } = telemetry;
    const policy = createPolicy({ name: 'aborted' });
    stops.push(instrument(policy, { meterProvider, tracerProvider }));
    const outer = tracerProvider.getTracer('app').startSpan('request');
    const reason = new Error('user left');
    await context.with(trace.setSpan(context.active(), outer), () =>
      expect(policy.execute(() => 'never', AbortSignal.abort(reason))).rejects.toBe(reason),
    );
    // A call refused for a bad argument never started: no span.
    expect(() => policy.execute(3 as never)).toThrow(TypeError);
    outer.end();
    const mine = telemetry.spans.getFinishedSpans().filter((s) => s.name === 'aborted');
    expect(mine).toHaveLength(1);
    expect(mine[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(mine[0]?.attributes['error.type']).toBe('aborted');
    expect(mine[0]?.attributes['http.request.resend_count']).toBe(0);
    expect(mine[0]?.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('a watcher that throws changes nothing of the call', async () => {
    const policy = createPolicy({ name: 'watched' });
    const stop = policy.watchCalls({
      start: () => ({
        run: () => {
          throw new Error('broken watcher');
        },
        end: () => {
          throw new Error('broken watcher');
        },
      }),
    });
    const broken = policy.watchCalls({
      start: () => {
        throw new Error('broken watcher');
      },
    });
    await expect(policy.execute(() => 'answer')).resolves.toBe('answer');
    await expect(
      policy.execute(() => Promise.reject(Object.assign(new Error('x'), { status: 400 }))),
    ).rejects.toMatchObject({ status: 400 });
    stop();
    broken();
  });
});

describe('instrument: bad input', () => {
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
