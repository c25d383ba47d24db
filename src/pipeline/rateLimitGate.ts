import type { PolicyEventMap } from '../events.js';
import { type FetchFunction, gateFetch } from '../rateLimit/gateFetch.js';
import { RateLimitGate } from '../rateLimit/RateLimitGate.js';
import { RateLimitHoldError } from '../rateLimit/RateLimitHoldError.js';
import type { RateLimitOptions } from '../rateLimit/rateLimitOptions.js';
import { usageTokensOf } from '../rateLimit/usageTokens.js';
import type { CallRecord } from './callRecord.js';
import { PipelineStage, type StageFn } from './PipelineStage.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

/** Options of {@link rateLimitGate}: {@link RateLimitOptions} and where it reports. */
export type RateLimitGateOptions = RateLimitOptions & ReportingOptions;

/**
 * The rate-limit stage ({@link rateLimitGate}), inside the retry stage: every attempt, first or
 * retry, waits at the stage's shared {@link RateLimitGate} (with the call's declared `tokens`),
 * then reports its outcome: a 429 (`rate_limit`) closes the gate, and holds the call's next
 * attempt until it reopens; any other answer counts as not rate-limited, and a reply's `usage`
 * (see `usageTokensOf`) corrects `tokensPerMinute` by what the call really used. An attempt that
 * never got an answer (`aborted`: the caller's abort, an open circuit) reports nothing. The wait
 * honours the call's signal (the caller's abort and the total timeout) and is neither a retry nor
 * a breaker failure. A call that would be held longer than its `maxWaitMs` (the gate closed
 * by a 429, the learned pace, a budget, the callers ahead of it) fails at once, without a request,
 * with a {@link RateLimitHoldError}, and holds its next attempt for as long: the retry stage gives
 * up on it (`wait_too_long`). Emits `gateWait`, `rateLimited` and `paced`.
 */
export class RateLimitGatePolicy extends PipelineStage {
  /** The gate every call through this stage shares. */
  readonly gate: RateLimitGate;
  /**
   * A `fetch` for the SDK's client that tells the gate each request's estimated cost and each
   * reply's rate-limit headers, so that it holds callers before a 429 (see `gateFetch`).
   */
  readonly fetch: FetchFunction;

  constructor(options: RateLimitGateOptions = {}) {
    super(checkReporting('rateLimit', options));
    const { reporter } = this;
    this.gate = new RateLimitGate(withoutReporting(options), (event) => {
      const { type, ...payload } = event;
      reporter.report(type, () => payload as PolicyEventMap[typeof type]);
    });
    this.fetch = gateFetch(this.gate, options.countTokens);
  }

  protected async run<T>(fn: StageFn<T>, call: CallRecord): Promise<T> {
    const { gate } = this;
    const heldFrom = Date.now();
    try {
      await gate.acquire(call.signal, call.tokens, call.maxWaitMs);
    } catch (error) {
      if (error instanceof RateLimitHoldError) call.holdNext('gate', Date.now() + error.waitMs);
      throw error;
    }
    const { attempt } = call;
    this.reporter.report('gateWait', () => ({ attempt, waitMs: Date.now() - heldFrom }));
    let value: T;
    try {
      value = await fn({ signal: call.signal });
    } catch (error) {
      const reason = call.reasonOf(error);
      if (reason.kind === 'rate_limit') {
        gate.onRateLimited(reason);
        call.holdNext('gate', gate.reopensAt);
      } else if (reason.kind !== 'aborted') gate.onSuccess();
      throw error;
    }
    gate.onSuccess();
    const used = usageTokensOf(value);
    if (used !== undefined) gate.onUsage(used, call.tokens);
    return value;
  }
}

/**
 * The rate-limit gate as a cockatiel policy, for your own `wrap()` (see
 * {@link RateLimitGatePolicy}): `rateLimitGate()` is the adaptive gate alone, which costs nothing
 * until the server's first 429; `requestsPerMinute` / `tokensPerMinute` add fixed budgets.
 * Throws a TypeError naming a bad option and its value.
 */
export function rateLimitGate(options: RateLimitGateOptions = {}): RateLimitGatePolicy {
  return new RateLimitGatePolicy(options);
}
