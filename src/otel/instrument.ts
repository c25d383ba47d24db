import {
  type Attributes,
  context,
  type MeterProvider,
  metrics,
  type ObservableResult,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { ErrorClassification, ErrorProvider } from '../errors/ErrorClassification.js';
import { PolicyEvents } from '../events.js';
import { EVENT_LOG_LEVELS } from '../logEvents.js';
import type { CallWatcher } from '../pipeline/callWatchers.js';
import type { CircuitStateName } from '../pipeline/llmCircuitBreaker.js';
import { LlmStreamPolicy } from '../stream/LlmStreamPolicy.js';
import { aString, checkValue, isPlainObject, refuse } from '../validate.js';

/** The instrumentation scope of the meter and tracer. */
export const INSTRUMENTATION_SCOPE = 'llm-resilience';

/**
 * The histogram buckets of every duration, in seconds: those the OpenTelemetry GenAI conventions
 * advise for `gen_ai.client.operation.duration`.
 */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** The value of `llm_resilience.circuit.state` for each breaker state (isolated counts as open). */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitStateName, number>> = Object.freeze({
  closed: 0,
  halfOpen: 1,
  open: 2,
  isolated: 2,
});

/**
 * What {@link instrument} needs of a policy: its name and events emitter, and, when it has them,
 * `watchCalls` (for each call's span) and its breaker's state (for the circuit gauge). Every
 * policy of the package has them: `chatPolicy`, `embeddingsPolicy`, `streamPolicy`,
 * `createPolicy`'s, `createStreamPolicy`'s, `createFallbackPolicy`'s, and the stages alone.
 */
export interface InstrumentablePolicy {
  /** The policy's name: every metric's `llm_resilience.policy`, the span's name. */
  readonly name: string;
  /** The emitter the policy reports its events to. */
  readonly events: PolicyEvents;
  /** Watches each call from its start to its end: instrumented, each call runs inside its span. */
  watchCalls?(watcher: CallWatcher): () => void;
  /** The breaker's state, observed by the `llm_resilience.circuit.state` gauge. */
  readonly circuitState?: CircuitStateName;
  /** The breaker itself; a policy without one reports no circuit state. */
  readonly circuitBreaker?: unknown;
}

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where the metrics go. Default: the global MeterProvider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /** Where the spans go. Default: the global TracerProvider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /**
   * Added to every metric point and span, e.g. `{ 'gen_ai.provider.name': 'openai',
   * 'gen_ai.request.model': 'gpt-4.1' }`. Never put a prompt or a key here. Default: none.
   */
  attributes?: Attributes;
}

/** The policy's emitter, listened to by event name (a `fallback` event included). */
interface AnyEvents {
  on(name: string, listener: (event: Record<string, unknown>) => void): unknown;
  off(name: string, listener: (event: Record<string, unknown>) => void): unknown;
}

/** What one instrumented call keeps: its span. */
interface CallSpan {
  readonly span: Span;
}

/**
 * Events that are no span event: a call's or stream's end (the span's end and status tell it)
 * and the gate's pace (not one call's).
 */
const NOT_SPAN_EVENTS: ReadonlySet<string> = new Set(['success', 'failure', 'streamEnd', 'paced']);

/** The attributes an event's payload adds to its span event: its numbers and names, no text. */
function spanEventAttributes(payload: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'policy') continue;
    if (typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
    else if (typeof value === 'string') attributes[key] = value;
  }
  const reason = payload.reason as ErrorClassification | undefined;
  if (reason !== undefined) {
    attributes['error.type'] = reason.kind;
    if (reason.status !== undefined) attributes['http.response.status_code'] = reason.status;
  }
  return attributes;
}

/** `gen_ai.provider.name` (OpenTelemetry's GenAI values) of each provider a failure names. */
const PROVIDER_NAMES: Readonly<Partial<Record<ErrorProvider, string>>> = {
  openai: 'openai',
  'azure-openai': 'azure.ai.openai',
  anthropic: 'anthropic',
  google: 'gcp.gen_ai',
  bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  groq: 'groq',
};

/**
 * `error.type` for an event with a reason, nothing otherwise; with `gen_ai.provider.name` from
 * the failure when `base` (the user's attributes) does not name the provider.
 */
function errorType(reason: ErrorClassification | undefined, base: Attributes): Attributes {
  if (reason === undefined) return {};
  const provider = reason.provider === undefined ? undefined : PROVIDER_NAMES[reason.provider];
  return provider === undefined || base['gen_ai.provider.name'] !== undefined
    ? { 'error.type': reason.kind }
    : { 'error.type': reason.kind, 'gen_ai.provider.name': provider };
}

function checkPolicy(policy: unknown): asserts policy is InstrumentablePolicy {
  if (
    typeof policy !== 'object' ||
    policy === null ||
    !((policy as { events?: unknown }).events instanceof PolicyEvents)
  ) {
    refuse('policy', 'a policy of llm-resilience (with an events emitter)', policy);
  }
  checkValue('policy.name', (policy as { name?: unknown }).name, aString);
}

function checkOptions(options: unknown): asserts options is InstrumentOptions {
  if (!isPlainObject(options)) refuse('options', 'an object', options);
  const { meterProvider, tracerProvider, attributes } = options as Record<string, unknown>;
  if (
    meterProvider !== undefined &&
    typeof (meterProvider as MeterProvider | null)?.getMeter !== 'function'
  ) {
    refuse('options.meterProvider', 'a MeterProvider', meterProvider);
  }
  if (
    tracerProvider !== undefined &&
    typeof (tracerProvider as TracerProvider | null)?.getTracer !== 'function'
  ) {
    refuse('options.tracerProvider', 'a TracerProvider', tracerProvider);
  }
  if (attributes !== undefined && !isPlainObject(attributes)) {
    refuse('options.attributes', 'an object of attributes', attributes);
  }
}

/**
 * Puts a policy's behaviour into OpenTelemetry metrics and traces, from its events: the
 * operation and attempt durations, an event counter, the time held by the rate-limit gate, the
 * breaker's state, a stream's time to first chunk, and one CLIENT span per call (named after the
 * policy) that the call runs inside, so the SDK's HTTP spans nest in it; a stream policy's span
 * ends with its stream (read to the end, failed or released), not at its first chunk. Nothing
 * sensitive is recorded: a failure is its kind (`error.type`) and status, never the server's
 * message. Span events need a context manager (the Node SDK registers one). A policy may be
 * instrumented several times (other providers, other attributes); each returned function stops
 * its own instrumentation, in any order. Throws a TypeError naming a bad argument and its value.
 *
 * @example
 * ```ts
 * import { instrument } from 'llm-resilience/otel';
 * const stop = instrument(chatPolicy, { attributes: { 'gen_ai.provider.name': 'openai' } });
 * ```
 */
export function instrument(
  policy: InstrumentablePolicy,
  options: InstrumentOptions = {},
): () => void {
  checkPolicy(policy);
  checkOptions(options);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_SCOPE,
  );
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_SCOPE,
  );
  const base: Attributes = { ...options.attributes, 'llm_resilience.policy': policy.name };
  const seconds = (description: string) => ({
    unit: 's',
    description,
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
  });
  const operation = meter.createHistogram(
    'gen_ai.client.operation.duration',
    seconds('A call through the policy, retries and waits included (a stream: to its end).'),
  );
  const attemptDuration = meter.createHistogram(
    'llm_resilience.attempt.duration',
    seconds('One attempt, from its start to its answer or failure.'),
  );
  const gateWait = meter.createHistogram(
    'llm_resilience.rate_limit.wait',
    seconds('Time an attempt was held by the rate-limit gate.'),
  );
  const firstChunk = meter.createHistogram(
    'gen_ai.client.operation.time_to_first_chunk',
    seconds('From the call to the first chunk of a stream, retries included.'),
  );
  const eventCount = meter.createCounter('llm_resilience.events', {
    unit: '{event}',
    description: 'Events the policy reported, by name and severity.',
  });
  const circuit = meter.createObservableGauge('llm_resilience.circuit.state', {
    unit: '1',
    description: 'The circuit breaker: 0 closed, 1 half-open, 2 open or isolated.',
  });
  const observeCircuit = (result: ObservableResult): void => {
    const state = policy.circuitState;
    if (state !== undefined) result.observe(CIRCUIT_STATE_VALUES[state], base);
  };
  const hasBreaker = policy.circuitBreaker !== undefined;
  if (hasBreaker) circuit.addCallback(observeCircuit);

  const callKey = Symbol(`llm-resilience call of ${policy.name}`);
  const callSpan = (): CallSpan | undefined =>
    context.active().getValue(callKey) as CallSpan | undefined;
  const streams = policy instanceof LlmStreamPolicy;
  const listeners: [string, (event: Record<string, unknown>) => void][] = [];
  const on = (name: string, listener: (event: Record<string, unknown>) => void): void => {
    listeners.push([name, listener]);
    (policy.events as unknown as AnyEvents).on(name, listener);
  };

  const levels = EVENT_LOG_LEVELS as Readonly<Record<string, string>>;
  const names = new Set([...Object.keys(levels), 'fallback']);
  for (const name of names) {
    on(name, (event) => {
      const reason = event.reason as ErrorClassification | undefined;
      eventCount.add(1, {
        ...base,
        'event.name': name,
        'event.severity': levels[name] ?? 'warn',
        ...errorType(reason, base),
        ...(name === 'giveUp' ? { 'llm_resilience.give_up.why': String(event.why) } : {}),
      });
      const call = callSpan();
      if (call === undefined || NOT_SPAN_EVENTS.has(name) || event.waitMs === 0) return;
      call.span.addEvent(name, spanEventAttributes(event));
    });
  }
  on('success', (event) => {
    if (!streams) operation.record(Number(event.durationMs) / 1000, base);
  });
  on('failure', (event) => {
    const reason = event.reason as ErrorClassification;
    operation.record(Number(event.durationMs) / 1000, { ...base, ...errorType(reason, base) });
  });
  on('streamEnd', (event) => {
    const reason = event.reason as ErrorClassification | undefined;
    operation.record(Number(event.durationMs) / 1000, { ...base, ...errorType(reason, base) });
  });
  on('attempt', (event) => {
    const reason = event.reason as ErrorClassification | undefined;
    attemptDuration.record(Number(event.durationMs) / 1000, {
      ...base,
      'llm_resilience.attempt.number': Number(event.attempt),
      ...errorType(reason, base),
    });
  });
  on('gateWait', (event) => gateWait.record(Number(event.waitMs) / 1000, base));
  on('firstToken', (event) => firstChunk.record(Number(event.latencyMs) / 1000, base));

  const stopWatching = policy.watchCalls?.({
    start: () => {
      const span = tracer.startSpan(policy.name, { kind: SpanKind.CLIENT, attributes: base });
      const active = trace.setSpan(context.active(), span).setValue(callKey, { span });
      return {
        run: (work) => context.with(active, work),
        end: ({ attempts, reason }) => {
          span.setAttribute('http.request.resend_count', Math.max(0, attempts - 1));
          if (reason !== undefined) {
            span.setAttributes(errorType(reason, base));
            span.setStatus({ code: SpanStatusCode.ERROR, message: reason.kind });
          }
          span.end();
        },
      };
    },
  });

  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const [name, listener] of listeners) {
      (policy.events as unknown as AnyEvents).off(name, listener);
    }
    if (hasBreaker) circuit.removeCallback(observeCircuit);
    stopWatching?.();
  };
}
