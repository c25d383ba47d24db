/**
 * Where policies keep the state their processes share (docs/distributed.md): the rate-limit
 * gate's budgets, its closure after a 429 and its learned pace, the circuit breaker's state, and
 * the retry budget.
 * Policies with the same `name` on the same store share that state, in any process. Left out
 * (`createPolicy` without `store`), every stage keeps its state in the process, as always.
 * `createRedisStore` (`llm-resilience/redis`) is the store for Redis, Valkey and Upstash.
 */
export interface PolicyStore {
  /** The shared state of the policy named `name`. */
  policyState(name: string): PolicyStateStore;
}

/**
 * One policy's shared state behind a store: one operation on an attempt's way in
 * ({@link PolicyStateStore.enter}) and one on its way out ({@link PolicyStateStore.leave}),
 * each a single round trip covering every shared stage the attempt passes. Times are
 * durations from the store's own clock, never a process's clock.
 */
export interface PolicyStateStore {
  /**
   * How long the stages wait for an answer before they go on with their in-process state for
   * this attempt, in ms (the store is then unavailable until it answers again).
   */
  readonly timeoutMs: number;
  /**
   * What fails together: the state stores with the same `connection` (the Redis client) are
   * unavailable and recover together, so that every policy on a dead connection goes on with its
   * in-process state at once, not after a timeout of its own. Default: this state store alone.
   */
  readonly connection?: object;
  /** Before an attempt: checks the breaker and reserves the attempt's place within the gate. */
  enter(request: EnterRequest): Promise<EnterAnswer>;
  /**
   * After an attempt: records its outcome with the breaker and the gate, and the calls and the
   * retry of the retry budget.
   */
  leave(report: LeaveReport): Promise<LeaveAnswer>;
  /** Resolves once the store answers (used to notice it is back after a failure). */
  ping(): Promise<void>;
}

/** The circuit breaker's settings, sent with each operation (the store keeps no settings). */
export interface SharedBreakerSettings {
  /** Consecutive failures that open it; 0 for a sampling breaker. */
  consecutiveFailures: number;
  /** A sampling breaker's failure ratio (0 for a consecutive breaker). */
  failureRatio: number;
  /** A sampling breaker's minimum calls in its window. */
  minimumCalls: number;
  /** A sampling breaker's window, in ms. */
  samplingMs: number;
  /** The first open time, in ms. */
  halfOpenAfterMs: number;
  /** The longest open time, in ms. */
  maxHalfOpenAfterMs: number;
  /** How long one process holds the fleet's half-open trial before another may try, in ms. */
  probeLeaseMs: number;
}

/** The rate-limit gate's settings, sent with each operation. */
export interface SharedGateSettings {
  /** The fleet's requests per minute; 0 for none. */
  requestsPerMinute: number;
  /** The fleet's tokens per minute; 0 for none. */
  tokensPerMinute: number;
  /** See `RateLimitOptions`. */
  increasePerSec: number;
  /** See `RateLimitOptions`. */
  decreaseFactor: number;
  /** See `RateLimitOptions`. */
  minRatePerSec: number;
  /** See `RateLimitOptions`. */
  forgetAfterMs: number;
  /** See `RateLimitOptions`. */
  backoffMs: number;
  /** See `RateLimitOptions`. */
  maxWaitMs: number;
}

/** What an attempt asks on its way in. */
export interface EnterRequest {
  /** Present when the attempt passes a circuit breaker: may it go? */
  breaker?: SharedBreakerSettings;
  /** Present when it passes the gate: reserve its place, at this token `cost`. */
  gate?: SharedGateSettings & {
    /** The attempt's token cost, for `tokensPerMinute`. */
    cost: number;
    /**
     * The call's `maxWaitMs`, or -1 for none: a place further away than this is not reserved
     * (the attempt is refused) unless the breaker gave it the fleet's trial.
     */
    refuseAboveMs: number;
  };
}

/** The breaker's verdict: `probe` is the fleet's one half-open trial, given to this attempt. */
export type SharedBreakerVerdict = 'closed' | 'probe' | 'open' | 'halfOpen';

/** The answer to {@link EnterRequest}. */
export interface EnterAnswer {
  /** The store's clock when it answered, in ms: handed back as {@link LeaveReport.sentAt}. */
  at: number;
  /** The breaker's verdict; `open` and `halfOpen` refuse the attempt (nothing was reserved). */
  breaker: SharedBreakerVerdict;
  /** Open: ms until its trial; halfOpen: ms until the trial's lease ends; otherwise 0. */
  breakerForMs: number;
  /** How long the attempt waits for its reserved place within the budgets and the pace, in ms. */
  waitMs: number;
  /** How long the gate stays closed after the fleet's last 429, in ms (<= 0: open). */
  closedForMs: number;
  /** The fleet's pace learned from 429s, in requests per second; 0 while unpaced. */
  paceRatePerSec: number;
  /**
   * Whether the gate refused the attempt: it would wait longer than `gate.refuseAboveMs`, and
   * nothing was reserved for it.
   */
  refused: boolean;
}

/** How an attempt ended, for the breaker: `none` when it got no answer (aborted). */
export type SharedBreakerOutcome = 'success' | 'failure' | 'none';

/** What an attempt reports on its way out. */
export interface LeaveReport {
  /** {@link EnterAnswer.at} of its way in: a 429 to a request sent before the last cut is stale. */
  sentAt: number;
  /** Present when it passed a breaker. */
  breaker?: SharedBreakerSettings & {
    /** How the attempt ended, for the breaker. */
    outcome: SharedBreakerOutcome;
    /** Whether it was the fleet's half-open trial. */
    probe: boolean;
    /** The server's wait hint of a failure, in ms; -1 for none. */
    hintMs: number;
  };
  /** Present when the policy has a retry budget with calls to count or a retry to take. */
  retryBudget?: SharedRetryBudgetReport;
  /** Present when it passed the gate and was answered: `rateLimited` is a 429. */
  gate?: SharedGateSettings & {
    /** Answered (anything but a 429), or rate-limited (a 429). */
    outcome: 'answered' | 'rateLimited';
    /** The 429's wait hint, in ms; -1 for none. */
    hintMs: number;
    /** Whether calls of this process wait on the pace (only then does a success raise it). */
    backlogged: boolean;
  };
}

/** The retry budget's part of a way out: its settings, the calls to count, the retry to take. */
export interface SharedRetryBudgetReport {
  /** See `RetryBudgetOptions`: the fleet's share of retries, in percent. */
  percent: number;
  /** See `RetryBudgetOptions`: the fleet's retries a second whatever the traffic. */
  minPerSec: number;
  /** See `RetryBudgetOptions`, in ms. */
  windowMs: number;
  /** Calls made since the policy last sent its calls, counted now. */
  deposits: number;
  /** Whether to take one retry, if the budget has room for it (`LeaveAnswer.retryGranted`). */
  withdraw: boolean;
}

/** The answer to {@link LeaveReport}. */
export interface LeaveAnswer {
  /** The breaker opened on this outcome (for `openMs`), or closed on it (`reset`). */
  breaker:
    | {
        /** How long it stays open before a trial call, in ms. */
        opened: number;
      }
    | 'reset'
    | undefined;
  /** How long the gate stays closed after the fleet's last 429, in ms (<= 0: open). */
  closedForMs: number;
  /** The fleet's pace learned from 429s, in requests per second; 0 while unpaced. */
  paceRatePerSec: number;
  /** Whether the retry budget had room for the retry asked (`retryBudget.withdraw`). */
  retryGranted?: boolean;
}
