// instrument() without HTTP: policies whose events the tests emit (or whose calls fail in
// process), read through the real OpenTelemetry SDK (support.ts).
import type { Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import { PolicyEvents } from '../../src/events.js';
import { type InstrumentablePolicy, instrument } from '../../src/otel/index.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { counterSum, pointsOf, useTelemetry } from './support.js';

const telemetry = useTelemetry();
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  telemetry.spans.reset();
});

/** Instruments `policy` with the test SDK (and `attributes`); stopped after the test. */
function instrumented<P extends InstrumentablePolicy>(
  policy: P,
  attributes?: Record<string, string>,
) {
  const { meterProvider, tracerProvider } = telemetry;
  stops.push(
    instrument(policy, { meterProvider, tracerProvider, ...(attributes && { attributes }) }),
  );
  return policy;
}

/** Emits event `name` on `policy` with `payload` (and the policy's name), as its stages would. */
function emit(policy: InstrumentablePolicy, name: string, payload: Record<string, unknown>): void {
  const events = policy.events as unknown as { emit(name: string, event: unknown): boolean };
  events.emit(name, { policy: policy.name, ...payload });
}

/** The finished spans named `name`. */
const spansNamed = (name: string) =>
  telemetry.spans.getFinishedSpans().filter((s) => s.name === name);

/** The points of `metric` of policy `policy`. */
const pointsOfPolicy = <T>(metric: MetricData | undefined, policy: string) =>
  pointsOf<T>(metric, { 'llm_resilience.policy': policy });

/** The buckets the GenAI conventions advise, in seconds. */
const BUCKETS_S = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

describe('instrument: metrics', () => {
  it('describes every instrument: name, unit, description, and the advised duration buckets', async () => {
    const policy = instrumented(
      createPolicy({
        name: 'described',
        circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 100 },
      }),
    );
    emit(policy, 'success', { attempts: 1, durationMs: 30 });
    emit(policy, 'attempt', { attempt: 1, durationMs: 30 });
    emit(policy, 'gateWait', { attempt: 1, waitMs: 30 });
    emit(policy, 'firstToken', { attempt: 1, latencyMs: 30 });
    const metrics = await telemetry.collect();
    const described = (name: string) => {
      const metric = metrics.get(name);
      return { unit: metric?.descriptor.unit, description: metric?.descriptor.description };
    };
    expect(described('gen_ai.client.operation.duration')).toEqual({
      unit: 's',
      description: 'A call through the policy, retries and waits included (a stream: to its end).',
    });
    expect(described('llm_resilience.attempt.duration')).toEqual({
      unit: 's',
      description: 'One attempt, from its start to its answer or failure.',
    });
    expect(described('llm_resilience.rate_limit.wait')).toEqual({
      unit: 's',
      description: 'Time an attempt was held by the rate-limit gate.',
    });
    expect(described('gen_ai.client.operation.time_to_first_chunk')).toEqual({
      unit: 's',
      description: 'From the call to the first chunk of a stream, retries included.',
    });
    expect(described('llm_resilience.events')).toEqual({
      unit: '{event}',
      description: 'Events the policy reported, by name and severity.',
    });
    expect(described('llm_resilience.circuit.state')).toEqual({
      unit: '1',
      description: 'The circuit breaker: 0 closed, 1 half-open, 2 open or isolated.',
    });
    for (const name of [
      'gen_ai.client.operation.duration',
      'llm_resilience.attempt.duration',
      'llm_resilience.rate_limit.wait',
      'gen_ai.client.operation.time_to_first_chunk',
    ]) {
      const [point] = pointsOfPolicy<Histogram>(metrics.get(name), 'described');
      expect({ name, boundaries: point?.value.buckets.boundaries }).toEqual({
        name,
        boundaries: BUCKETS_S,
      });
    }
  });

  it('records every duration in seconds', async () => {
    const policy = instrumented(createPolicy({ name: 'timed' }));
    const reason = classifyError(Object.assign(new Error('server down'), { status: 500 }));
    expect(reason.kind).toBe('server');
    emit(policy, 'success', { attempts: 1, durationMs: 1500 });
    emit(policy, 'failure', { attempts: 1, durationMs: 2500, reason });
    emit(policy, 'streamEnd', { chunks: 3, durationMs: 4000, outcome: 'completed' });
    emit(policy, 'attempt', { attempt: 1, durationMs: 250 });
    emit(policy, 'gateWait', { attempt: 1, waitMs: 125 });
    emit(policy, 'firstToken', { attempt: 1, latencyMs: 750 });
    const metrics = await telemetry.collect();
    const sums = (name: string) =>
      pointsOfPolicy<Histogram>(metrics.get(name), 'timed').map((p) => [
        p.attributes['error.type'],
        p.value.count,
        p.value.sum,
      ]);
    // The success and the stream's end have the same attributes: one point, 1.5 s + 4 s.
    expect(sums('gen_ai.client.operation.duration')).toEqual([
      [undefined, 2, 5.5],
      ['server', 1, 2.5],
    ]);
    expect(sums('llm_resilience.attempt.duration')).toEqual([[undefined, 1, 0.25]]);
    expect(sums('llm_resilience.rate_limit.wait')).toEqual([[undefined, 1, 0.125]]);
    expect(sums('gen_ai.client.operation.time_to_first_chunk')).toEqual([[undefined, 1, 0.75]]);
  });

  it('adds error.type, and no provider name nor give-up why it does not have', async () => {
    const policy = instrumented(
      createPolicy({
        name: 'reset',
        retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 10 },
      }),
    );
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const kind = classifyError(reset).kind;
    // A connection error: no HTTP status, no provider.
    expect([kind, classifyError(reset).status, classifyError(reset).provider]).toEqual([
      'connection',
      undefined,
      undefined,
    ]);
    let calls = 0;
    await expect(
      policy.execute(() => {
        calls++;
        if (calls === 1) throw reset;
        return 'answer';
      }),
    ).resolves.toBe('answer');
    const metrics = await telemetry.collect();
    const base = { 'llm_resilience.policy': 'reset' };
    const events = pointsOfPolicy<number>(metrics.get('llm_resilience.events'), 'reset');
    // Strictly: no attribute with an undefined value either.
    for (const point of events) {
      const name = point.attributes['event.name'];
      const expected =
        name === 'attempt' && 'error.type' in point.attributes
          ? { ...base, 'event.name': name, 'event.severity': 'debug', 'error.type': kind }
          : name === 'retry'
            ? { ...base, 'event.name': name, 'event.severity': 'warn', 'error.type': kind }
            : { ...base, 'event.name': name, 'event.severity': 'debug' };
      expect(point.attributes).toStrictEqual(expected);
    }
    expect(events.map((p) => p.attributes['event.name']).sort()).toEqual([
      'attempt',
      'attempt',
      'retry',
      'success',
    ]);
    const failed = pointsOfPolicy<Histogram>(
      metrics.get('llm_resilience.attempt.duration'),
      'reset',
    );
    expect(failed.map((p) => p.attributes)).toStrictEqual([
      { ...base, 'llm_resilience.attempt.number': 1, 'error.type': kind },
      { ...base, 'llm_resilience.attempt.number': 2 },
    ]);
    // The span event of the retry: its error type, and no status (the error had none).
    const [span] = spansNamed('reset');
    const retry = span?.events.find((e) => e.name === 'retry');
    expect(Object.keys(retry?.attributes ?? {}).sort()).toEqual([
      'attempt',
      'delayMs',
      'error.type',
    ]);
    expect(retry?.attributes?.['error.type']).toBe(kind);
  });

  it('observes the circuit state only of a policy that has a breaker', async () => {
    instrumented(createPolicy({ name: 'breakerless' }));
    instrumented(
      createPolicy({
        name: 'with-breaker',
        circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 100 },
      }),
    );
    const circuit = (await telemetry.collect()).get('llm_resilience.circuit.state');
    expect(pointsOfPolicy<number>(circuit, 'with-breaker').map((p) => p.value)).toEqual([0]);
    expect(pointsOfPolicy<number>(circuit, 'breakerless')).toEqual([]);
  });
});

describe('instrument: span events', () => {
  it('adds a call’s events to its span: numbers, booleans and strings of the payload only', async () => {
    const policy = instrumented(createPolicy({ name: 'evented' }));
    await policy.execute(() => {
      emit(policy, 'hedge', {
        attempt: 2,
        delayMs: 5,
        hedged: true,
        note: 'text',
        detail: { secret: 'x' },
        nothing: null,
        missing: undefined,
        list: [1, 2],
      });
      // The gate's pace is no call's; an open gate (no wait) says nothing.
      emit(policy, 'paced', { ratePerSec: 3 });
      emit(policy, 'gateWait', { attempt: 1, waitMs: 0 });
      emit(policy, 'gateWait', { attempt: 1, waitMs: 7 });
      return 'answer';
    });
    const [span] = spansNamed('evented');
    expect(span?.events.map((e) => [e.name, e.attributes])).toStrictEqual([
      ['hedge', { attempt: 2, delayMs: 5, hedged: true, note: 'text' }],
      ['gateWait', { attempt: 1, waitMs: 7 }],
    ]);
    // Every event was counted, those with no span event too.
    const events = (await telemetry.collect()).get('llm_resilience.events');
    for (const name of ['hedge', 'paced', 'success']) {
      expect(counterSum(events, { 'llm_resilience.policy': 'evented', 'event.name': name })).toBe(
        1,
      );
    }
    expect(
      counterSum(events, { 'llm_resilience.policy': 'evented', 'event.name': 'gateWait' }),
    ).toBe(2);
  });

  it('an event of an outer policy during an inner policy’s call goes to the outer span', async () => {
    const outer = instrumented(createPolicy({ name: 'outer' }));
    const inner = instrumented(createPolicy({ name: 'inner' }));
    await outer.execute(() =>
      inner.execute(() => {
        emit(outer, 'hedge', { attempt: 2, delayMs: 1 });
        emit(inner, 'hedge', { attempt: 3, delayMs: 2 });
        return 'answer';
      }),
    );
    const eventsOf = (name: string) =>
      spansNamed(name).map((s) => s.events.map((e) => [e.name, e.attributes]));
    expect(eventsOf('outer')).toEqual([[['hedge', { attempt: 2, delayMs: 1 }]]]);
    expect(eventsOf('inner')).toEqual([[['hedge', { attempt: 3, delayMs: 2 }]]]);
  });
  it('a policy instrumented twice: each span gets the call’s events, once', async () => {
    const policy = instrumented(createPolicy({ name: 'twice' }), { which: 'a' });
    instrumented(policy, { which: 'b' });
    await policy.execute(() => {
      emit(policy, 'hedge', { attempt: 2, delayMs: 1 });
      return 'answer';
    });
    const eventsOf = (which: string) =>
      spansNamed('twice')
        .filter((s) => s.attributes.which === which)
        .map((s) => s.events.map((e) => e.name));
    expect(eventsOf('a')).toEqual([['hedge']]);
    expect(eventsOf('b')).toEqual([['hedge']]);
  });

  it('two policies of the same name, one inside the other: each event goes to its own span', async () => {
    const outer = instrumented(createPolicy({ name: 'same' }), { which: 'outer' });
    const inner = instrumented(createPolicy({ name: 'same' }), { which: 'inner' });
    await outer.execute(() =>
      inner.execute(() => {
        emit(outer, 'hedge', { attempt: 2, delayMs: 1 });
        return 'answer';
      }),
    );
    const eventsOf = (which: string) =>
      spansNamed('same')
        .filter((s) => s.attributes.which === which)
        .map((s) => s.events.map((e) => e.name));
    expect(eventsOf('outer')).toEqual([['hedge']]);
    expect(eventsOf('inner')).toEqual([[]]);
  });
});

describe('instrument: any instrumentable policy, and stop', () => {
  it('instruments a policy without watchCalls nor breaker; stop removes its listeners', async () => {
    const events = new PolicyEvents();
    const bare: InstrumentablePolicy = { name: 'bare', events };
    const { meterProvider, tracerProvider } = telemetry;
    const stop = instrument(bare, { meterProvider, tracerProvider });
    emit(bare, 'success', { attempts: 1, durationMs: 10 });
    stop();
    stop();
    emit(bare, 'success', { attempts: 1, durationMs: 10 });
    expect(events.eventNames()).toEqual([]);
    const metrics = await telemetry.collect();
    expect(
      counterSum(metrics.get('llm_resilience.events'), {
        'llm_resilience.policy': 'bare',
        'event.name': 'success',
      }),
    ).toBe(1);
    expect(pointsOfPolicy(metrics.get('llm_resilience.circuit.state'), 'bare')).toEqual([]);
  });

  it('a second stop does nothing: the policy’s watch is stopped once', () => {
    let watching = 0;
    let stopped = 0;
    const policy: InstrumentablePolicy = {
      name: 'watched-once',
      events: new PolicyEvents(),
      watchCalls: () => {
        watching++;
        return () => {
          stopped++;
        };
      },
    };
    const { meterProvider, tracerProvider } = telemetry;
    const stop = instrument(policy, { meterProvider, tracerProvider });
    expect([watching, stopped]).toEqual([1, 0]);
    stop();
    stop();
    expect([watching, stopped]).toEqual([1, 1]);
  });
});

describe('instrument: bad arguments, named in the TypeError', () => {
  const policy = createPolicy({ name: 'checked' });
  it.each([
    ['null', null, 'policy must be a policy of llm-resilience (with an events emitter), got null'],
    [
      'undefined',
      undefined,
      'policy must be a policy of llm-resilience (with an events emitter), got undefined',
    ],
    [
      'without events',
      { name: 'x' },
      'policy must be a policy of llm-resilience (with an events emitter), got an object',
    ],
    ['named 3', { name: 3, events: new PolicyEvents() }, 'policy.name must be a string, got 3'],
  ])('refuses a policy %s', (_, bad, message) => {
    expect(() => instrument(bad as never)).toThrow(new TypeError(message));
  });

  it.each([
    [{ meterProvider: null }, 'options.meterProvider must be a MeterProvider, got null'],
    [{ meterProvider: {} }, 'options.meterProvider must be a MeterProvider, got an object'],
    [{ tracerProvider: null }, 'options.tracerProvider must be a TracerProvider, got null'],
    [{ tracerProvider: {} }, 'options.tracerProvider must be a TracerProvider, got an object'],
    [{ attributes: 'x' }, 'options.attributes must be an object of attributes, got "x"'],
    [{ attributes: [] }, 'options.attributes must be an object of attributes, got an array'],
  ])('refuses the options %o', (options, message) => {
    expect(() => instrument(policy, options as never)).toThrow(new TypeError(message));
  });
});
