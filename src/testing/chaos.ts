import {
  EventEmitter,
  type IDefaultPolicyContext,
  type IFailureEvent,
  type IPolicy,
  type ISuccessEvent,
} from 'cockatiel';
import { ERROR_KINDS, type ErrorKind } from '../errors/ErrorClassification.js';
import { isFiniteNumber } from '../isFiniteNumber.js';
import { sleep } from '../signals.js';
import { atLeastZero, checkValue, refuse as refuseValue } from '../validate.js';
import * as anthropic from './anthropicShapedErrors.js';
import { ERROR_KINDS_BY_WIRE_FORMAT, errorReplyFor, type HttpErrorKind } from './errorReplies.js';
import { newId } from './openAIBodies.js';
import {
  APICallError,
  ApiError,
  aiSdkErrorForResponse,
  bedrockErrorForResponse,
} from './providerShapedErrors.js';
import type { StatusReply } from './replies.js';
import * as openai from './sdkShapedErrors.js';
import { seededRandom } from './seededRandom.js';
import { showValue } from './showValue.js';

/** Options both kinds of chaos share. */
export interface ChaosCommonOptions {
  /** The share of calls that get the fault, from 0 (none) to 1 (all); default 1. */
  rate?: number;
  /** Seed of the random source that picks the calls: the same seed picks the same calls. Default: unseeded (`Math.random`). */
  seed?: number;
  /** Whether chaos is on: a boolean, or a function asked on every call; default true. When off, calls pass straight through. */
  enabled?: boolean | (() => boolean);
}

/** Options of a chaos policy that throws errors instead of calling through. */
export interface ChaosErrorOptions extends ChaosCommonOptions {
  /**
   * What to throw: a kind of failure, thrown as an error shaped like the openai SDK's for it
   * (e.g. `rate_limit`: a `RateLimitError` with status 429, `retry-after-ms` and `x-ratelimit-*`
   * headers, body, code and request id), or a function returning the value to throw.
   */
  error: ErrorKind | (() => unknown);
  /** For `error: 'rate_limit'` only: the wait the error asks for; default 200 ms. */
  retryAfterMs?: number;
  /**
   * Whose SDK's errors to throw for a kind: `openai` (the default), `anthropic`
   * (`@anthropic-ai/sdk`), `google` (`@google/genai`'s `ApiError`), `vercel-ai` (the AI SDK's
   * `APICallError` over OpenAI's API) or `bedrock` (Bedrock Runtime's exceptions). Each
   * classifies as the real SDK's error for the same answer.
   */
  provider?: ChaosProvider;
}

/** The SDKs whose errors {@link chaos} can throw. */
export type ChaosProvider = 'openai' | 'anthropic' | 'google' | 'vercel-ai' | 'bedrock';

const CHAOS_PROVIDERS: readonly ChaosProvider[] = [
  'openai',
  'anthropic',
  'google',
  'vercel-ai',
  'bedrock',
];

/** Options of a chaos policy that delays calls. */
export interface ChaosLatencyOptions extends ChaosCommonOptions {
  /** How long to wait before calling through, in milliseconds (the call's abort signal cuts it short). */
  latencyMs: number;
}

/** Options of {@link chaos}: either `error` or `latencyMs`, plus `rate`, `seed` and `enabled`. */
export type ChaosOptions = ChaosErrorOptions | ChaosLatencyOptions;

/** The fault a {@link ChaosPolicy} injects, as {@link chaos} builds it from its options. */
export type ChaosFault =
  | {
      /** Returns the value to throw, built fresh for each faulty call. */
      error: () => unknown;
    }
  | {
      /** How long to wait before calling through, in milliseconds. */
      latencyMs: number;
    };

/** Refuses `value` as chaos option `field` with the package's one TypeError. */
function refuse(field: string, expected: string, value: unknown): never {
  return refuseValue(`chaos: ${field}`, expected, value, showValue);
}

/** Builds the error an SDK throws for an HTTP error answer. */
type ForResponse = (reply: StatusReply, headers: Record<string, string>) => unknown;

/** The SDK-shaped errors of one provider: for an HTTP answer, and for the failures without one. */
interface ProviderErrors {
  forResponse: ForResponse;
  timeout(): unknown;
  connection(): unknown;
  aborted(): unknown;
}

/** What `fetch` rejects with when a signal from `AbortSignal.timeout()` fires. */
const fetchTimeout = () =>
  new DOMException('The operation was aborted due to timeout', 'TimeoutError');
/** What `fetch` rejects with when the caller's signal aborts. */
const fetchAbort = () => new DOMException('This operation was aborted', 'AbortError');
/** What undici's `fetch` rejects with when the connection is refused. */
const fetchFailed = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), {
      code: 'ECONNREFUSED',
    }),
  });

const PROVIDER_ERRORS: Readonly<Record<ChaosProvider, ProviderErrors>> = {
  openai: {
    forResponse: (reply, headers) =>
      openai.sdkErrorForResponse(reply.status, reply.body, new Headers(headers)),
    timeout: () => new openai.APIConnectionTimeoutError(),
    connection: () => new openai.APIConnectionError({ cause: new TypeError('fetch failed') }),
    aborted: () => new openai.APIUserAbortError(),
  },
  anthropic: {
    forResponse: (reply, headers) =>
      anthropic.anthropicErrorForResponse(reply.status, reply.body, new Headers(headers)),
    timeout: () => new anthropic.APIConnectionTimeoutError(),
    connection: () => new anthropic.APIConnectionError({ cause: new TypeError('fetch failed') }),
    aborted: () => new anthropic.APIUserAbortError(),
  },
  google: {
    forResponse: (reply) => new ApiError(reply.status, reply.body),
    timeout: fetchTimeout,
    connection: fetchFailed,
    aborted: fetchAbort,
  },
  'vercel-ai': {
    forResponse: (reply, headers) => aiSdkErrorForResponse(reply.status, reply.body, headers),
    timeout: fetchTimeout,
    connection: () =>
      new APICallError({
        message: 'Cannot connect to API: connect ECONNREFUSED 127.0.0.1:443',
        url: 'https://api.openai.com/v1/chat/completions',
        cause: fetchFailed().cause,
        isRetryable: true,
      }),
    aborted: fetchAbort,
  },
  bedrock: {
    forResponse: (reply, headers) => bedrockErrorForResponse(reply.status, reply.body, headers),
    // Bedrock answers its own timeouts (ModelTimeoutException), so this one is never thrown.
    timeout: fetchTimeout,
    connection: () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
    aborted: () => Object.assign(new Error('Request aborted'), { name: 'AbortError' }),
  },
};

/** The wire format of each provider's error answers. */
const WIRE_FORMAT = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  'vercel-ai': 'openai',
  bedrock: 'bedrock',
} as const;

/** What `JSON.parse` throws for a model's answer that is not JSON. */
function invalidJson(): unknown {
  try {
    return JSON.parse('Sure! Here is the JSON you asked for:');
  } catch (error) {
    return error;
  }
}

/** The error `provider`'s SDK would throw for `kind`, built fresh (new request id) on each call. */
function sdkShapedError(
  kind: ErrorKind,
  retryAfterMs: number | undefined,
  provider: ChaosProvider,
): () => unknown {
  const errors = PROVIDER_ERRORS[provider];
  const wire = WIRE_FORMAT[provider];
  const answered = ERROR_KINDS_BY_WIRE_FORMAT[wire];
  if (answered.includes(kind)) {
    const options = retryAfterMs === undefined ? {} : { retryAfterMs };
    const reply = errorReplyFor(kind as HttpErrorKind, { ...options, provider: wire });
    const idHeader = wire === 'bedrock' ? 'x-amzn-requestid' : 'x-request-id';
    return () => errors.forResponse(reply, { [idHeader]: newId('req_'), ...reply.headers });
  }
  switch (kind) {
    case 'timeout':
      return errors.timeout;
    case 'connection':
      return errors.connection;
    case 'aborted':
      return errors.aborted;
    case 'invalid_output':
      return invalidJson;
    case 'unknown':
      return () => new Error('Failure injected by chaos');
    default:
      return refuse(
        'error',
        `one of ${answered.join(', ')}, timeout, connection, aborted, invalid_output or unknown for provider ${showValue(provider)}`,
        kind,
      );
  }
}

function faultOf(options: Record<string, unknown>): ChaosFault {
  const hasError = options.error !== undefined;
  const hasLatency = options.latencyMs !== undefined;
  if (hasError === hasLatency) {
    throw new TypeError(
      `chaos: options must have exactly one of error and latencyMs, got error ${showValue(options.error)} and latencyMs ${showValue(options.latencyMs)}`,
    );
  }
  if (hasLatency) {
    const ms = options.latencyMs;
    if (!isFiniteNumber(ms) || ms < 0) refuse('latencyMs', 'a finite number >= 0', ms);
    if (options.retryAfterMs !== undefined) {
      refuse('retryAfterMs', "given with error 'rate_limit' only", options.retryAfterMs);
    }
    if (options.provider !== undefined) {
      refuse('provider', 'given with an error kind only', options.provider);
    }
    return { latencyMs: ms };
  }
  const { error, retryAfterMs, provider = 'openai' } = options;
  if (!CHAOS_PROVIDERS.includes(provider as ChaosProvider)) {
    refuse('provider', `one of ${CHAOS_PROVIDERS.join(', ')}`, provider);
  }
  if (typeof error === 'function') {
    if (retryAfterMs !== undefined) {
      refuse('retryAfterMs', "given with error 'rate_limit' only", retryAfterMs);
    }
    if (options.provider !== undefined) {
      refuse('provider', 'given with an error kind only', options.provider);
    }
    return { error: error as () => unknown };
  }
  if (!(ERROR_KINDS as readonly unknown[]).includes(error)) {
    refuse('error', `one of ${ERROR_KINDS.join(', ')} or a function`, error);
  }
  if (retryAfterMs !== undefined) {
    if (error !== 'rate_limit') {
      refuse(
        'retryAfterMs',
        `given with error 'rate_limit' only, not ${showValue(error)}`,
        retryAfterMs,
      );
    }
    checkValue('chaos: retryAfterMs', retryAfterMs, atLeastZero, showValue);
  }
  return {
    error: sdkShapedError(
      error as ErrorKind,
      retryAfterMs as number | undefined,
      provider as ChaosProvider,
    ),
  };
}

/**
 * A cockatiel policy that injects faults (see {@link chaos}). Like every cockatiel policy it
 * reports each call on `onSuccess` / `onFailure` and composes with `wrap()`.
 */
export class ChaosPolicy implements IPolicy<IDefaultPolicyContext> {
  declare readonly _altReturn: never;
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  /** Fires after each call that succeeded, with its duration. */
  readonly onSuccess = this.successEmitter.addListener;
  /** Fires after each call that failed, injected faults included (`handled: false`). */
  readonly onFailure = this.failureEmitter.addListener;

  constructor(
    private readonly fault: ChaosFault,
    private readonly rate: number,
    private readonly random: () => number,
    private readonly enabled: boolean | (() => boolean),
  ) {}

  /** Runs `fn`, unless this call is picked for the fault: then throws, or waits first. */
  async execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<T> {
    const started = performance.now();
    try {
      const value = await this.run(fn, signal);
      this.successEmitter.emit({ duration: performance.now() - started });
      return value;
    } catch (error) {
      this.failureEmitter.emit({
        duration: performance.now() - started,
        handled: false,
        reason: { error },
      });
      throw error;
    }
  }

  private async run<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal,
  ): Promise<T> {
    const on = typeof this.enabled === 'function' ? this.enabled() : this.enabled;
    if (on && this.random() < this.rate) {
      if ('error' in this.fault) throw this.fault.error();
      await sleep(this.fault.latencyMs, signal);
    }
    return fn({ signal });
  }
}

/**
 * A chaos policy in the spirit of Polly's chaos strategies, for testing code without a server:
 * on a `rate` share of calls (default 1: all) it throws an error shaped like the openai SDK's (or
 * with `provider`, Anthropic's, Google's, the AI SDK's or Bedrock's) for the failure kind `error`
 * (so `classifyError` sees the real thing), or waits `latencyMs`
 * before calling through. Which calls are picked follows `seed` when given; `enabled` (default
 * true) switches it off. It is a cockatiel policy: put it innermost, e.g.
 * `wrap(chatPolicy, chaos({ error: 'rate_limit', rate: 0.2, seed: 1 }))`, so the policies
 * outside it see the injected failures as if the SDK had thrown them. Throws a TypeError for bad
 * options.
 *
 * @example
 * ```ts
 * import { wrap } from 'cockatiel';
 * import { createChatPolicy } from 'llm-resilience';
 * import { chaos } from 'llm-resilience/testing';
 *
 * // `client` is an openai client made with `maxRetries: 0`.
 * // About one call in five throws a RateLimitError (429, retry-after-ms 200) before anything is
 * // sent; the chat policy outside sees it as if the SDK had thrown it, and retries the call.
 * const policy = wrap(createChatPolicy(), chaos({ error: 'rate_limit', rate: 0.2, seed: 1 }));
 * const completion = await policy.execute(({ signal }) =>
 *   client.chat.completions.create(
 *     { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] },
 *     { signal },
 *   ),
 * );
 * ```
 */
export function chaos(options: ChaosOptions): ChaosPolicy {
  if (typeof options !== 'object' || options === null) refuse('options', 'an object', options);
  const raw = options as unknown as Record<string, unknown>;
  const fault = faultOf(raw);
  const { rate = 1, seed, enabled = true } = raw;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    refuse('rate', 'a number from 0 to 1', rate);
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    refuse('seed', 'a finite number', seed);
  }
  if (typeof enabled !== 'boolean' && typeof enabled !== 'function') {
    refuse('enabled', 'a boolean or a function returning one', enabled);
  }
  const random = seed === undefined ? Math.random : seededRandom(seed);
  return new ChaosPolicy(fault, rate, random, enabled as boolean | (() => boolean));
}
