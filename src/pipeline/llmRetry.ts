import {
  BrokenCircuitError,
  decorrelatedJitterGenerator,
  type IExponentialBackoffOptions,
} from 'cockatiel';
import type { GiveUpWhy } from '../events.js';
import { sleep } from '../signals.js';
import { type HeldLeave, releaseLeaves } from '../store/heldLeave.js';
import type { PolicyStore } from '../store/PolicyStore.js';
import { SharedRetryBudget } from '../store/SharedRetryBudget.js';
import { type SharedState, sharedStateOf } from '../store/SharedState.js';
import type { CallRecord, LlmCallContext } from './callRecord.js';
import { checkRetryOptions, type RetryBudgetOptions, type RetryOptions } from './options.js';
import { PipelineStage, type StageFn } from './PipelineStage.js';
import { isRetryBudgetStore, RetryBudget, type RetryBudgetStore } from './RetryBudget.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

/** The state of cockatiel's decorrelated-jitter generator between two delays of one call. */
type JitterState = [number, number];

/** The defaults of {@link llmRetry}'s options. */
export const RETRY_DEFAULTS: Readonly<RetryOptions> = Object.freeze({
  maxRetries: 3,
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 60_000,
});

/**
 * Options of {@link llmRetry}: {@link RetryOptions}, each defaulting to {@link RETRY_DEFAULTS},
 * and the retry budget.
 */
export type LlmRetryOptions = Partial<RetryOptions> &
  ReportingOptions & {
    /**
     * Bounds the retries to a share of the calls (`createPolicy`'s `retryBudget`): options, each
     * defaulting to `RETRY_BUDGET_DEFAULTS` (`{}` for all of them), or a {@link RetryBudgetStore}
     * (a {@link RetryBudget}) shared with other retry stages. Default: no budget.
     */
    budget?: Partial<RetryBudgetOptions> | RetryBudgetStore | false;
    /**
     * Shares the budget (given as options) with every retry stage of the same `name` on this
     * store, in any process: the fleet's retries are bounded by the fleet's calls
     * (docs/distributed.md). Default: none (in-process).
     */
    store?: PolicyStore;
  };

/** Deposits a call in `budget` at `now`; a store that throws loses the deposit, not the call. */
function deposit(budget: RetryBudgetStore, now: number): void {
  try {
    budget.deposit(now);
  } catch {
    // The budget is a safeguard: a broken store must not fail the call.
  }
}

/**
 * Whether `budget` grants a retry at `now`: a store's throw or rejection grants it. A shared
 * budget asks with the failed attempt's ways out (`held`); any other budget lets them go first.
 */
function withdraw(
  budget: RetryBudgetStore,
  now: number,
  held: readonly HeldLeave[] | undefined,
): boolean | Promise<boolean> {
  if (budget instanceof SharedRetryBudget) return budget.withdrawWith(now, held);
  releaseLeaves(held);
  let answer: boolean | PromiseLike<boolean>;
  try {
    answer = budget.tryWithdraw(now);
  } catch {
    return true;
  }
  if (typeof answer === 'boolean') return answer;
  return Promise.resolve(answer).then(
    (value) => value !== false,
    () => true,
  );
}

/**
 * The retry stage ({@link llmRetry}): retries a failed attempt (or hedge round) up to
 * `maxRetries` times. An abort (the caller's, or the total timeout) ends a backoff sleep at once
 * and no attempt follows (cockatiel's retry sleeps through it and starts another attempt).
 *
 * What it retries: the classification's `retryable` (or `shouldRetry`). How long it waits:
 * decorrelated jitter (cockatiel's `ExponentialBackoff` generator, Polly's V2 formula) scaled by
 * `initialDelayMs` and capped at `maxDelayMs`, but never less than the server's hint
 * (`retryAfterMs`); a hint above `maxRetryAfterMs` fails the call at once. An attempt that timed
 * out is retried without the part of the backoff it already spent waiting. After a 429 held by a
 * rate-limit gate inside, it does not sleep: the gate holds the retry with every other caller.
 * An attempt an open circuit breaker inside refused is retried when the breaker half-opens (a
 * retry too). A retry whose wait would end after the call's total deadline, or is longer than the
 * call's `maxWaitMs` (`execute(fn, { maxWaitMs })`), is not started. With a `budget`, each call
 * is deposited in it and a retry it has no room for is not made; retries held by the gate after
 * a 429, or by an open breaker, send no extra request while held and do not spend it.
 * Emits `attempt` after each attempt, `retry` (its `delayMs` is the wait before the next attempt,
 * whoever holds it) and `giveUp`.
 */
export class LlmRetryPolicy extends PipelineStage<LlmCallContext> {
  /** The retry budget, if the stage has one. */
  readonly budget: RetryBudgetStore | undefined;
  private readonly options: RetryOptions;
  private readonly jitter: IExponentialBackoffOptions<JitterState>;

  /**
   * @param options The stage's options.
   * @param shared The policy's shared state (`createPolicy` gives the one its gate shares).
   * @internal
   */
  constructor(options: LlmRetryOptions = {}, shared?: SharedState) {
    super(checkReporting('retry', options));
    const { budget, store, ...retry } = withoutReporting(options);
    const state = sharedStateOf('retry.store', store, this.reporter, shared);
    const o = checkRetryOptions({ ...RETRY_DEFAULTS, ...retry });
    this.options = o;
    if (budget === undefined || budget === false) this.budget = undefined;
    else if (isRetryBudgetStore(budget)) this.budget = budget;
    else {
      const local = new RetryBudget(budget, 'retry.budget');
      this.budget = state === undefined ? local : new SharedRetryBudget(local, state);
    }
    this.jitter = {
      generator: decorrelatedJitterGenerator,
      exponent: 2,
      initialDelay: o.initialDelayMs,
      maxDelay: o.maxDelayMs,
    };
  }

  protected async run<T>(fn: StageFn<T, LlmCallContext>, call: CallRecord): Promise<T> {
    const { budget } = this;
    if (budget !== undefined) deposit(budget, Date.now());
    // A shared budget's withdrawal rides with the failed attempt's way out: it is held till then.
    const holds = budget instanceof SharedRetryBudget;
    let jitter: JitterState | undefined;
    for (let round = 1; ; round++) {
      // One attempt a round, or several with the hedging stage inside: `call.attempt` numbers them.
      const first = ++call.attempt;
      call.clearHold();
      if (holds) call.holdLeaves(true);
      try {
        const startedAt = Date.now();
        let value: T;
        try {
          value = await fn({ signal: call.signal, attempt: first });
        } catch (error) {
          const attempt = call.attempt;
          if (call.aborted) throw error;
          const now = Date.now();
          const reason = call.reasonOf(error);
          this.reporter.report('attempt', () => ({ attempt, durationMs: now - startedAt, reason }));
          const { maxRetries, maxRetryAfterMs, shouldRetry } = this.options;
          const hint = reason.retryAfterMs;
          const { hold } = call;
          let why: GiveUpWhy | undefined;
          // The wait before the next attempt: the backoff sleep, or a hold of the gate or breaker.
          let waitMs = 0;
          let sleeps = false;
          // Whether the retry spends the budget: not when a gate or breaker holds it.
          let spends = false;
          if (hold?.by === 'breaker' && error instanceof BrokenCircuitError) {
            waitMs = Math.max(0, hold.until - now);
            sleeps = true;
            if (round > maxRetries) why = 'max_retries';
          } else if (!(shouldRetry === undefined ? reason.retryable : shouldRetry(reason, error))) {
            why = 'not_retryable';
          } else if (round > maxRetries) {
            why = 'max_retries';
          } else if (hint !== undefined && hint > maxRetryAfterMs) {
            why = 'retry_after_too_long';
          } else if (hold?.by === 'gate' && reason.kind === 'rate_limit') {
            waitMs = Math.max(0, Math.round(hold.until - now));
          } else {
            const [backoff, next] = decorrelatedJitterGenerator(jitter, this.jitter);
            jitter = next;
            const spent = reason.kind === 'timeout' ? now - startedAt : 0;
            // A breaker this failure opened holds the next attempt until its trial.
            const opened = hold?.by === 'breaker' ? hold.until - now : 0;
            waitMs = Math.round(Math.max(backoff - spent, hint ?? 0, opened, 0));
            sleeps = true;
            spends = true;
          }
          if (why === undefined && call.deadline !== undefined && now + waitMs > call.deadline) {
            why = 'deadline';
          }
          if (why === undefined && call.maxWaitMs !== undefined && waitMs > call.maxWaitMs) {
            why = 'wait_too_long';
          }
          if (why === undefined && spends && budget !== undefined) {
            const answer = withdraw(budget, now, holds ? call.holdLeaves(false) : undefined);
            if (answer !== true && (answer === false || !(await answer))) why = 'retry_budget';
            if (call.aborted) throw call.reason;
          } else if (holds) releaseLeaves(call.holdLeaves(false));
          if (why !== undefined) {
            this.reporter.report('giveUp', () => ({ attempts: attempt, reason, why }));
            throw error;
          }
          this.reporter.report('retry', () => ({ attempt, delayMs: waitMs, reason }));
          // The sleep ends at an abort; with no sleep, a `retry` listener may have aborted the call.
          if (sleeps && waitMs > 0) await sleep(waitMs, call.signal);
          else if (call.aborted) throw call.reason;
          continue;
        }
        const attempt = call.attempt;
        this.reporter.report('attempt', () => ({ attempt, durationMs: Date.now() - startedAt }));
        return value;
      } finally {
        // The ways out still held (a success, an abort, a throw of `shouldRetry`) go now.
        if (holds) releaseLeaves(call.holdLeaves(false));
      }
    }
  }
}

/**
 * The retry stage as a cockatiel policy, for your own `wrap()`: retries failed attempts worth
 * retrying (see {@link LlmRetryPolicy}). Options default to {@link RETRY_DEFAULTS}: 3 retries,
 * decorrelated jitter from 1 s capped at 60 s, server hints up to 60 s honoured. Throws a
 * TypeError naming a bad option and its value.
 *
 * @example
 * ```ts
 * import { bulkhead, wrap } from 'cockatiel';
 * import { llmCircuitBreaker, llmRetry, llmTimeout, rateLimitGate } from 'llm-resilience';
 *
 * const policy = wrap(
 *   bulkhead(10),
 *   llmRetry({ maxRetries: 3 }),
 *   rateLimitGate(),
 *   llmCircuitBreaker(),
 *   llmTimeout({ attemptMs: 30_000 }),
 * );
 * ```
 */
export function llmRetry(options: LlmRetryOptions = {}): LlmRetryPolicy {
  return new LlmRetryPolicy(options);
}
