import { BrokenCircuitError } from 'cockatiel';
import type { ErrorClassification } from '../errors/ErrorClassification.js';
import { TimeoutError } from '../errors/TimeoutError.js';
import type { PolicyEvents } from '../events.js';
import { limitOf } from '../validate.js';
import { CallOwner } from './CallOwner.js';
import type { CallRecord, LlmCallContext } from './callRecord.js';
import type { CallWatcher } from './callWatchers.js';
import { type ExecuteOptions, executeOptions } from './executeArgs.js';
import { checkFallbackOptions } from './fallbackOptions.js';
import type { CircuitStateName } from './llmCircuitBreaker.js';
import { Reporter } from './reporter.js';

/**
 * What a route's `policy` must offer: the policies of this package (`createPolicy`, the presets,
 * `createStreamPolicy`) all do. A route is tried through it, so it keeps its own breaker, gate,
 * bulkhead and retries, shared with every other user of that policy.
 */
export interface FallbackRoutePolicy {
  /** Runs `fn` through the policy's stages. */
  execute(fn: (context: LlmCallContext) => unknown, options: ExecuteOptions): Promise<unknown>;
  /** The circuit breaker's state. */
  readonly circuitState: CircuitStateName;
  /** When the open breaker lets its next trial call through (`Date.now()` scale). */
  readonly circuitHalfOpenAt: number;
}

/** One route of a fallback policy: a model or provider to try, in order. */
export interface FallbackRoute<I = unknown> {
  /** The route's name, given back as `route` and carried by the `fallback` event. */
  name: string;
  /**
   * Makes the call for `input`: pass `context.signal` on to the SDK. Its result (for a stream
   * policy: the guarded stream) is the `value` of the answer.
   */
  call(input: I, context: LlmCallContext): unknown;
  /** The policy the route is tried through. Default: none (one attempt, no breaker). */
  policy?: FallbackRoutePolicy;
  /**
   * The longest wait before an attempt on this route, in ms: a longer backoff, server hint
   * (`retry-after`), open breaker or rate-limit gate hold (closed after a 429, the learned pace,
   * a `requestsPerMinute` / `tokensPerMinute` budget, the calls ahead) moves on to the next route
   * at once, without a request. Default
   * {@link FALLBACK_MAX_WAIT_MS} (0: the next route answers now rather than this one later) for
   * every route but the last, which has nowhere to move on to and waits as its policy says.
   */
  maxWaitMs?: number;
}

/** Options of {@link createFallbackPolicy}. */
export interface FallbackPolicyOptions<I = unknown> {
  /** Carried in every event as `policy`. Default `'fallback'`. */
  name?: string;
  /** The routes, tried in order; at least one. */
  routes: readonly FallbackRoute<I>[];
  /**
   * Whether a route's failure moves on to the next route; replaces the default test (see
   * {@link LlmFallbackPolicy}). It is asked about a route skipped because its breaker is open too
   * (a `BrokenCircuitError`, kind `aborted`). The caller's abort never moves on.
   */
  fallbackOn?: (reason: ErrorClassification, route: string) => boolean;
  /** A bound on the whole chain of routes. */
  timeout?: {
    /** The longest the whole chain may take, in ms. Default: no limit. */
    totalMs?: number;
  };
}

/** What a fallback policy's `execute` resolves with: the answer and the route that gave it. */
export interface FallbackResult<R = unknown> {
  /** What the route's call (through its policy) resolved with. */
  value: R;
  /** The name of the route that answered. */
  route: string;
}

/**
 * The default `maxWaitMs` of every route but the last: 0, so a route that would wait before its
 * next attempt (a backoff, a `retry-after`, a hold of the rate-limit gate, the open breaker) moves
 * on at once: in a storm, waits that each look short add up and keep calls from the next route
 * (docs/fallback.md gives the figures).
 */
export const FALLBACK_MAX_WAIT_MS = 0;

/** Failures that say this route cannot answer but another may. */
const MOVE_ON: ReadonlySet<ErrorClassification['kind']> = new Set([
  'quota',
  'auth',
  'permission',
  'not_found',
  'context_length',
  // No request was sent: the route's breaker or bulkhead refused the call.
  'aborted',
]);

/** The default test of {@link FallbackPolicyOptions.fallbackOn}. */
export function defaultFallbackOn(reason: ErrorClassification): boolean {
  return reason.retryable || MOVE_ON.has(reason.kind);
}

/**
 * A policy that tries routes (models or providers) in order, each through its own policy, and
 * resolves with the first answer and its route's name. It moves on, by default, from a route
 * whose breaker is open (at once, without a request, until its next trial call), that failed for
 * good with a retryable kind (its own retries spent), with `quota`, `auth`, `permission`,
 * `not_found` or `context_length`, or whose next wait (backoff, server hint, gate hold, open
 * breaker) is longer than the route's `maxWaitMs`. It never moves on when the caller aborts, nor
 * on `bad_request` or `content_filter` unless `fallbackOn` says so. When every route failed, it
 * rejects with the last route's error. A stream policy's route falls back before the first
 * token only: once the stream is returned it is the caller's. Emits `fallback` and `success` /
 * `failure` (with `route`); `attempts` counts routes tried.
 */
export class LlmFallbackPolicy<I = unknown, R = unknown> {
  /** Carried in every event as `policy`. */
  readonly name: string;
  /** The policy's typed event emitter: `policy.events.on('fallback', (e) => ...)`. */
  readonly events: PolicyEvents;
  private readonly reporter: Reporter;
  private readonly owner: CallOwner;
  private readonly routes: readonly FallbackRoute<I>[];
  private readonly fallbackOn: (reason: ErrorClassification, route: string) => boolean;
  private readonly totalMs: number | undefined;

  /** Validates `options` (a TypeError names a bad option and its value). */
  constructor(options: FallbackPolicyOptions<I>) {
    checkFallbackOptions(options);
    this.reporter = new Reporter({ name: options.name ?? 'fallback' });
    this.name = this.reporter.name;
    this.events = this.reporter.events;
    this.owner = new CallOwner(this.reporter);
    this.routes = [...options.routes];
    this.fallbackOn = options.fallbackOn ?? defaultFallbackOn;
    this.totalMs = limitOf(options.timeout?.totalMs);
  }

  /**
   * Watches every call from now on, from its start to its end ({@link CallWatcher}); returns a
   * function that stops watching. `llm-resilience/otel`'s `instrument` uses it for its spans.
   */
  watchCalls(watcher: CallWatcher): () => void {
    return this.owner.watch(watcher);
  }

  /**
   * Tries the routes for `input` in order. The second argument is the caller's AbortSignal or
   * `{ signal, tokens }` (`tokens` goes to every route's policy). Rejects at once with the
   * signal's reason when it aborts, with a `TimeoutError` (`total`) when `timeout.totalMs`
   * passes, and with the last route's error when every route failed.
   */
  execute(
    input: I,
    signalOrOptions?: AbortSignal | Omit<ExecuteOptions, 'maxWaitMs'>,
  ): Promise<FallbackResult<R>> {
    const { signal, tokens } = executeOptions(signalOrOptions, false);
    return this.owner.run((call) => this.run(input, call, tokens), signal, tokens);
  }

  private async run(
    input: I,
    call: CallRecord,
    tokens: number | undefined,
  ): Promise<FallbackResult<R>> {
    const { routes, totalMs } = this;
    const timer =
      totalMs === undefined
        ? undefined
        : setTimeout(() => call.abort(new TimeoutError('total', totalMs)), totalMs);
    try {
      for (let index = 0; ; index++) {
        const route = routes[index] as FallbackRoute<I>;
        const next = routes[index + 1];
        call.route = route.name;
        call.attempt = index + 1;
        const { policy } = route;
        let failure: { error: unknown; reason: ErrorClassification };
        if (next !== undefined && policy !== undefined && isResting(policy)) {
          const error = new BrokenCircuitError();
          failure = { error, reason: call.reasonOf(error) };
        } else {
          try {
            const value = await this.attempt(route, input, call, tokens, next === undefined);
            return { value: value as R, route: route.name };
          } catch (error) {
            if (call.aborted || next === undefined) throw error;
            failure = { error, reason: call.reasonOf(error) };
          }
        }
        const { error, reason } = failure;
        if (!this.fallbackOn(reason, route.name)) throw error;
        this.reporter.report('fallback', () => ({ from: route.name, to: next.name, reason }));
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private attempt(
    route: FallbackRoute<I>,
    input: I,
    call: CallRecord,
    tokens: number | undefined,
    last: boolean,
  ): Promise<unknown> {
    const { policy } = route;
    const signal = call.signal;
    if (policy === undefined) {
      return Promise.resolve().then(() => route.call(input, { signal, attempt: 1 }));
    }
    const maxWaitMs = route.maxWaitMs ?? (last ? undefined : FALLBACK_MAX_WAIT_MS);
    return policy.execute((context) => route.call(input, context), {
      signal,
      ...(tokens === undefined ? {} : { tokens }),
      ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
    });
  }
}

/** Whether the route's breaker is open and not yet due for its next trial call. */
function isResting(policy: FallbackRoutePolicy): boolean {
  return policy.circuitState === 'open' && policy.circuitHalfOpenAt > Date.now();
}

/**
 * Builds an {@link LlmFallbackPolicy}: routes tried in order, each through its own policy.
 *
 * @example
 * ```ts
 * import { createChatPolicy, createFallbackPolicy } from 'llm-resilience';
 *
 * const ask = createFallbackPolicy({
 *   name: 'ask',
 *   routes: [
 *     { name: 'gpt-4.1', policy: createChatPolicy({ name: 'openai' }),
 *       call: (messages, { signal }) =>
 *         openai.chat.completions.create({ model: 'gpt-4.1', messages }, { signal }) },
 *     { name: 'claude', policy: createChatPolicy({ name: 'anthropic' }),
 *       call: (messages, { signal }) =>
 *         anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages },
 *           { signal }) },
 *   ],
 * });
 * const { value, route } = await ask.execute(messages);
 * ```
 */
export function createFallbackPolicy<I = unknown, R = unknown>(
  options: FallbackPolicyOptions<I>,
): LlmFallbackPolicy<I, R> {
  return new LlmFallbackPolicy<I, R>(options);
}
