import type { ErrorClassification } from '../errors/ErrorClassification.js';
import type { PolicyEventMap } from '../events.js';
import { isFiniteNumber } from '../isFiniteNumber.js';
import { atLeastZero, checkResult, checkValue } from '../validate.js';
import { AdaptivePace } from './adaptivePace.js';
import { RateLimitBudgetError } from './RateLimitBudgetError.js';
import { RateLimitHoldError } from './RateLimitHoldError.js';
import type { ServerLimits } from './rateLimitHeaders.js';
import {
  type RateLimitOptions,
  type ResolvedRateLimitOptions,
  resolveRateLimitOptions,
} from './rateLimitOptions.js';
import type { RequestTokens } from './requestTokens.js';
import { type SentRequest, ServerBudget } from './serverBudget.js';
import { TokenBucket } from './tokenBucket.js';

/**
 * What the gate reports (a policy emits them as `rateLimited` and `paced`): the event's name as
 * `type`, with the payload of {@link PolicyEventMap} (`policy` aside).
 */
export type RateLimitGateEvent = {
  [K in 'rateLimited' | 'paced']: {
    /** The event's name. */
    type: K;
  } & PolicyEventMap[K];
}['rateLimited' | 'paced'];

interface Waiter {
  readonly cost: number;
  /** The longest wait the caller accepts (ms), and when it runs out; Infinity without a limit. */
  readonly maxWaitMs: number;
  readonly latest: number;
  readonly declared: number | undefined;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

const OPEN: Promise<void> = Promise.resolve();

/** Float slack on waits, in milliseconds. */
const MICROSECOND = 1e-3;

/** An increase of the pace is reported once it is this much above the last reported pace. */
const REPORT_INCREASE = 1.1;

/** How many of `policy.fetch`'s budget charges wait at most for their call's usage. */
const MAX_UNCORRECTED = 1_024;

/**
 * The rate-limit gate shared by every call through one policy, consulted before every attempt
 * (first attempts and retries). Until the server's first 429 and without budgets, `acquire` is a
 * resolved promise: no timer, no queue. A 429 closes the gate for the server's hint (or a backoff
 * that doubles while hint-less 429s continue); callers then wait in one FIFO queue and are released
 * at a pace learned from the server (docs/rate-limits.md): a lone 429 sets none; otherwise it
 * starts from the successes per second just before the 429, never below the rate the waits
 * imply, grows while calls succeed, is multiplied by `decreaseFactor` on a new 429 at most once a
 * second, and is forgotten once the gate has been open `forgetAfterMs` without a 429 and nobody
 * waits. Within the fixed `requestsPerMinute` / `tokensPerMinute` budgets when given, and, with
 * `policy.fetch`, within the limits the server's replies report (`requestSent` / `onReply`); a
 * reply's usage corrects `tokensPerMinute` (`onUsage`). The caller reports each attempt's outcome
 * with `onSuccess` / `onRateLimited`. A caller that accepts a wait of `maxWaitMs` at most is
 * refused (a {@link RateLimitHoldError}) instead of being held longer, when it asks or when a 429
 * makes its wait longer while it waits. Events go to `emit`; an `emit` that throws cannot disturb
 * the gate.
 */
export class RateLimitGate {
  private readonly options: ResolvedRateLimitOptions;
  private readonly pace: AdaptivePace;
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closedUntil = 0;
  /** Fresh 429s in a row without a success, for the hint-less backoff. */
  private strikes = 0;
  /** The pace last reported; NaN (never equal, never above or below) until the first report. */
  private reportedRate = Number.NaN;
  /** The server's limits as its replies' headers report them (`policy.fetch`). */
  private readonly server: ServerBudget;
  /** `policy.fetch`'s estimates charged to `tokensPerMinute`, oldest first, until usage corrects them. */
  private readonly uncorrected: number[] = [];

  /**
   * @param options Budgets and tuning (validated here; TypeError on bad input).
   * @param emit Receives the gate's events; the rate-limit stage reports them. Default: none.
   */
  constructor(
    options: RateLimitOptions,
    private readonly emit: (event: RateLimitGateEvent) => void = () => {},
  ) {
    this.options = resolveRateLimitOptions(options);
    const o = this.options;
    this.pace = new AdaptivePace(o);
    this.server = new ServerBudget(o.maxWaitMs);
    const now = Date.now();
    this.requests =
      o.requestsPerMinute === undefined
        ? undefined
        : new TokenBucket(o.requestsPerMinute / 60, Math.max(1, o.requestsPerMinute / 60), now);
    this.tokens =
      o.tokensPerMinute === undefined
        ? undefined
        : new TokenBucket(o.tokensPerMinute / 60, o.tokensPerMinute / 60, now);
  }

  /**
   * Resolves when a request may be sent (at once while nothing limits). Rejects with the signal's
   * reason as soon as `signal` aborts (the waiter leaves the queue), with a TypeError for a bad
   * `tokens`, with a {@link RateLimitBudgetError} for a call costing more than the whole
   * `tokensPerMinute`, and with a {@link RateLimitHoldError} when the wait would be (or, after a
   * 429 meanwhile, becomes) longer than `maxWaitMs`.
   * @param signal Aborts the wait (the caller's abort or the call's total timeout).
   * @param tokens The call's declared token cost, for `tokensPerMinute` (see `estimateTokens`).
   * @param maxWaitMs The longest wait the caller accepts, in ms. Default: no limit.
   */
  acquire(signal: AbortSignal | undefined, tokens?: number, maxWaitMs?: number): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let cost = 0;
    try {
      cost = this.costOf(tokens);
    } catch (error) {
      return Promise.reject(error);
    }
    const now = Date.now();
    if (this.queue.length === 0) {
      this.forgetPaceIfQuiet(now);
      if (this.waitMs(cost, tokens, now) === 0) {
        this.grant(cost, tokens, now);
        return OPEN;
      }
    }
    const limit = maxWaitMs ?? Number.POSITIVE_INFINITY;
    if (limit !== Number.POSITIVE_INFINITY) {
      const waitMs = this.queuedWaitMs(cost, tokens, now);
      if (waitMs > limit) return Promise.reject(new RateLimitHoldError(Math.ceil(waitMs), limit));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        cost,
        maxWaitMs: limit,
        latest: now + limit,
        declared: tokens,
        resolve,
        reject,
        signal,
        onAbort: () => this.abandon(waiter),
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      if (this.queue.length === 1) this.release();
    });
  }

  /**
   * How long a call declaring `tokens` would be held if it asked now, in ms (0: it may go at
   * once): behind the callers already waiting, until the gate reopens after a 429, the learned
   * pace and the budgets let it go. An estimate: a 429 meanwhile makes the wait longer. Throws
   * as `acquire` rejects for a bad `tokens` or a call larger than the whole token budget.
   */
  holdMs(tokens?: number): number {
    const cost = this.costOf(tokens);
    const now = Date.now();
    if (this.queue.length === 0) this.forgetPaceIfQuiet(now);
    return this.queuedWaitMs(cost, tokens, now);
  }

  /**
   * The gate's options, every default filled in.
   * @internal
   */
  get settings(): Readonly<ResolvedRateLimitOptions> {
    return this.options;
  }

  /**
   * Holds the `requestsPerMinute` / `tokensPerMinute` budgets so that the next request goes at
   * `at` at the earliest: a gate sharing a fleet's budgets keeps its own in step with the fleet's
   * queue, so that it has no saved-up burst to send if it has to go on alone.
   */
  holdBudgetsUntil(at: number): void {
    const now = Date.now();
    this.requests?.holdUntil(at, now);
    this.tokens?.holdUntil(at, now);
  }

  /** When the gate reopens after its last 429 (`Date.now()` scale; in the past while open). */
  get reopensAt(): number {
    return this.closedUntil;
  }

  /** An attempt was answered and not rate-limited (a success, or a failure of another kind). */
  onSuccess(): void {
    this.strikes = 0;
    const now = Date.now();
    this.pace.succeeded(now, this.queue.length > 0 && this.pace.waitMs(now) > 0);
    this.reportPace();
    if (this.queue.length > 0) this.release();
    else this.forgetPaceIfQuiet(now);
  }

  /** An attempt failed with a 429 (`reason.kind === 'rate_limit'`): closes the gate and slows the pace. */
  onRateLimited(reason: ErrorClassification): void {
    const now = Date.now();
    const o = this.options;
    if (this.pace.rateLimited(now)) this.strikes++;
    const hint = reason.retryAfterMs;
    const waitMs = Math.min(
      o.maxWaitMs,
      isFiniteNumber(hint) && hint >= 0 ? hint : o.backoffMs * 2 ** Math.max(0, this.strikes - 1),
    );
    const wasOpen = this.closedUntil <= now;
    this.closedUntil = Math.max(this.closedUntil, now + waitMs);
    this.pace.closed(waitMs, this.closedUntil, now);
    this.requests?.holdUntil(this.closedUntil, now);
    if (wasOpen && waitMs > 0) this.report({ type: 'rateLimited', waitMs, reason });
    this.reportPace();
    // No release otherwise: a 429 only ever makes the head wait longer, and the head's timer
    // re-arms for the new wait when it fires.
    if (this.refuseLongWaits(now)) this.release();
  }

  /**
   * `policy.fetch` is sending a request (let through by {@link acquire} just before, or sent
   * outside the gate), estimated at `estimate` from its body. The estimate is charged to
   * `tokensPerMinute` when the call declared no tokens and there is no `estimateTokens`. Returns
   * the request, to hand back to {@link onReply}.
   */
  requestSent(estimate: RequestTokens | undefined): SentRequest {
    const now = Date.now();
    const request = this.server.sending(estimate, now);
    const budget = this.options.tokensPerMinute;
    if (
      budget !== undefined &&
      estimate !== undefined &&
      request.declared === undefined &&
      this.options.estimateTokens === undefined
    ) {
      request.budgetCharge = Math.min(budget, estimate.input + estimate.output);
      this.tokens?.adjust(request.budgetCharge, now);
    }
    return request;
  }

  /**
   * The reply to `request`: `ok` (a 2xx status) and what its rate-limit headers said
   * (`limits`, see `parseRateLimitHeaders`), or `undefined` when none came (the connection
   * failed). With remaining requests or tokens too few for the next request, callers are held
   * until the server's budget has refilled enough, instead of meeting a 429. A request that did
   * not succeed gives its `tokensPerMinute` charge back.
   */
  onReply(
    request: SentRequest,
    reply: { ok: boolean; limits: ServerLimits | undefined } | undefined,
  ): void {
    const now = Date.now();
    if (reply === undefined) this.server.failed(request);
    else this.server.replied(request, reply.limits, now);
    if (request.budgetCharge > 0) {
      if (reply?.ok === true) {
        this.uncorrected.push(request.budgetCharge);
        if (this.uncorrected.length > MAX_UNCORRECTED) this.uncorrected.shift();
      } else this.tokens?.adjust(-request.budgetCharge, now);
    }
    if (this.queue.length > 0) this.release();
  }

  /**
   * A call's reply said it used `tokens` (its `usage`): `tokensPerMinute` is corrected by the
   * difference from what the call was charged (its declared cost, else `policy.fetch`'s estimate,
   * else nothing). `declared` is the tokens the call declared.
   */
  onUsage(tokens: number, declared: number | undefined): void {
    if (this.tokens === undefined || !(tokens >= 0 && tokens < Number.POSITIVE_INFINITY)) return;
    let charged = 0;
    if (declared !== undefined || this.options.estimateTokens !== undefined) {
      try {
        charged = this.costOf(declared);
      } catch {
        return;
      }
    } else charged = this.uncorrected.shift() ?? 0;
    this.tokens.adjust(tokens - charged, Date.now());
    if (this.queue.length > 0) this.release();
  }

  /**
   * The token cost a call declaring `tokens` is charged against `tokensPerMinute` (0 without that
   * budget). Throws a TypeError for a bad `tokens` or estimate, and a {@link RateLimitBudgetError}
   * for a cost above the whole budget.
   */
  costOf(tokens: number | undefined): number {
    if (tokens !== undefined) checkValue('tokens', tokens, atLeastZero);
    const budget = this.options.tokensPerMinute;
    if (budget === undefined) return 0;
    const estimate = this.options.estimateTokens;
    const cost = estimate === undefined ? (tokens ?? 0) : estimate(tokens);
    checkResult('rateLimit.estimateTokens', cost, atLeastZero);
    if (cost > budget) throw new RateLimitBudgetError(cost, budget);
    return cost;
  }

  /**
   * Milliseconds until a request of `cost` tokens (`declared` by its call) may go (0: now; below
   * a microsecond counts as now), after `ahead` requests costing `tokensAhead` in all have gone
   * first.
   */
  private waitMs(
    cost: number,
    declared: number | undefined,
    now: number,
    ahead = 0,
    tokensAhead = 0,
  ): number {
    const waitMs = Math.max(
      this.closedUntil - now,
      this.pace.waitMs(now, ahead),
      this.requests === undefined ? 0 : this.requests.waitMs(1, now, ahead),
      this.tokens === undefined ? 0 : this.tokens.waitMs(cost, now, tokensAhead),
      this.server.waitMs(declared, now),
    );
    return waitMs < MICROSECOND ? 0 : waitMs;
  }

  /** Milliseconds until a request of `cost` tokens may go behind every caller now waiting. */
  private queuedWaitMs(cost: number, declared: number | undefined, now: number): number {
    let tokensAhead = 0;
    for (const waiter of this.queue) tokensAhead += waiter.cost;
    return this.waitMs(cost, declared, now, this.queue.length, tokensAhead);
  }

  /**
   * Refuses the waiters whose wait has become longer than they accept; returns whether the head
   * was among them (its timer must be set again).
   */
  private refuseLongWaits(now: number): boolean {
    const { queue } = this;
    let headRefused = false;
    let tokensAhead = 0;
    for (let index = 0; index < queue.length; ) {
      const waiter = queue[index] as Waiter;
      const waitMs = this.waitMs(waiter.cost, waiter.declared, now, index, tokensAhead);
      if (
        waiter.maxWaitMs !== Number.POSITIVE_INFINITY &&
        now + waitMs > waiter.latest + MICROSECOND
      ) {
        queue.splice(index, 1);
        if (index === 0) headRefused = true;
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(new RateLimitHoldError(Math.ceil(waitMs), waiter.maxWaitMs));
      } else {
        tokensAhead += waiter.cost;
        index++;
      }
    }
    return headRefused;
  }

  private grant(cost: number, declared: number | undefined, now: number): void {
    this.pace.sent(now);
    this.requests?.take(1, now);
    this.tokens?.take(cost, now);
    this.server.granted(declared, now);
  }

  /** Lets waiters through in order while they may go, then sets one timer for the head. */
  private release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      const waitMs = this.waitMs(head.cost, head.declared, now);
      if (waitMs > 0) {
        this.timer = setTimeout(this.onTimer, Math.ceil(waitMs - MICROSECOND));
        return;
      }
      this.queue.shift();
      head.signal?.removeEventListener('abort', head.onAbort);
      this.grant(head.cost, head.declared, now);
      head.resolve();
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.release();
  };

  private abandon(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index < 0) return;
    this.queue.splice(index, 1);
    waiter.reject(waiter.signal?.reason);
    if (index === 0) this.release();
  }

  /** Forgets the learned pace once the congestion is over (call only while nobody waits). */
  private forgetPaceIfQuiet(now: number): void {
    if (this.pace.forgetIfQuiet(now)) this.reportedRate = Number.NaN;
  }

  private reportPace(): void {
    const rate = this.pace.ratePerSec;
    if (rate === undefined || this.pace.estimating) return;
    const last = this.reportedRate;
    if (rate >= last && rate < last * REPORT_INCREASE) return;
    this.reportedRate = rate;
    this.report({ type: 'paced', ratePerSec: Math.round(rate * 100) / 100 });
  }

  private report(event: RateLimitGateEvent): void {
    try {
      this.emit(event);
    } catch {
      // A logging callback must never change what the gate does.
    }
  }
}
