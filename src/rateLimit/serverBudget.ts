import type { ServerLimit, ServerLimitKind, ServerLimits } from './rateLimitHeaders.js';
import type { RequestTokens } from './requestTokens.js';

/**
 * A request the gate let through, tracked until a reply's rate-limit headers account for it.
 * Made by `RateLimitGate.requestSent`; `policy.fetch` hands it back to `RateLimitGate.onReply`.
 */
export interface SentRequest {
  /** When the gate let it through (`Date.now()` scale). */
  readonly at: number;
  /** The tokens its call declared (`execute(fn, { tokens })`), if any. */
  readonly declared: number | undefined;
  /** Its prompt tokens: estimated from its body once `policy.fetch` has seen it, else typical. */
  input: number;
  /** Its completion's cap, likewise. */
  output: number;
  /** Whether `policy.fetch` has seen it. */
  sent: boolean;
  /** What `policy.fetch` charged the gate's `tokensPerMinute` budget for it (its estimate). */
  budgetCharge: number;
}

/** A server's budget as last reported, projected forward at its refill rate. */
interface Mirror {
  /** The level at `at`, less the requests let through since (may go below 0). */
  level: number;
  at: number;
  limit: number | undefined;
  /** Refill per ms; `undefined` when the headers gave nothing to derive it from. */
  ratePerMs: number | undefined;
  /** When the budget is whole again, for a mirror without a rate. */
  resetAt: number | undefined;
  /** The report holds nobody after this: `maxWaitMs` after it came. */
  expiresAt: number;
}

/** A request is matched to its grant only within this long of it; older grants never went out. */
const CLAIM_MS = 2_000;
/** Requests older than this are no longer waited on for a reply. */
const FORGET_MS = 60_000;
/** The most requests tracked at once. */
const MAX_TRACKED = 4_096;
/** How many recent estimates give the typical and the largest cost. */
const RECENT = 32;
/** The window the per-minute limits are counted over, for a reply without a reset time. */
const MINUTE_MS = 60_000;

const KINDS: readonly ServerLimitKind[] = ['requests', 'tokens', 'inputTokens', 'outputTokens'];

/** What request `r` costs against a limit of `kind`. */
function costOf(kind: ServerLimitKind, r: Pick<SentRequest, 'declared' | 'input' | 'output'>) {
  switch (kind) {
    case 'requests':
      return 1;
    case 'tokens':
      return r.declared ?? r.input + r.output;
    case 'inputTokens':
      return r.input;
    case 'outputTokens':
      return r.output;
  }
}

/**
 * The server's own limits as its replies' rate-limit headers report them (`policy.fetch` reads
 * them): for each limit reported, the remaining count projected forward at the refill rate the
 * headers imply (`(limit - remaining) / reset`, else `limit` a minute), less what the requests
 * sent since cost (their bodies' estimates; a typical cost until `policy.fetch` has seen them).
 * The gate lets a request go once every limit holds enough for it: one request, and for tokens
 * the call's declared tokens, else the largest of the last 32 requests' estimates, so a request
 * never meets a budget the server has already spent. Replies are matched to the requests in the
 * order they were let through; a reply to a request older than the last one accounted for is
 * stale and ignored. A report holds callers for `maxWaitMs` at most. Tracks nothing until `policy.fetch` is first used; costs O(1) a request.
 */
export class ServerBudget {
  private readonly mirrors = new Map<ServerLimitKind, Mirror>();
  /** Requests let through since the last reply accounted for, oldest first. */
  private readonly tracked: SentRequest[] = [];
  /** Index of the oldest tracked request `policy.fetch` has not seen. */
  private unsent = 0;
  private readonly recentInput: number[] = [];
  private readonly recentOutput: number[] = [];
  private active = false;

  /** @param maxWaitMs The longest one reply's report holds callers (`RateLimitOptions.maxWaitMs`). */
  constructor(private readonly maxWaitMs: number) {}

  /** Milliseconds until a request declaring `declared` tokens fits every limit reported (0: now). */
  waitMs(declared: number | undefined, now: number): number {
    if (this.mirrors.size === 0) return 0;
    let wait = 0;
    for (const [kind, mirror] of this.mirrors) {
      if (now >= mirror.expiresAt) continue;
      const needed = Math.max(1, this.reserve(kind, declared));
      const cap = mirror.limit === undefined ? needed : Math.min(needed, mirror.limit);
      const level = this.levelAt(mirror, now);
      if (level >= cap) continue;
      let mirrorWait = mirror.expiresAt - now;
      if (mirror.ratePerMs !== undefined) mirrorWait = (cap - level) / mirror.ratePerMs;
      else if (mirror.resetAt !== undefined) mirrorWait = mirror.resetAt - now;
      wait = Math.max(wait, Math.min(mirrorWait, mirror.expiresAt - now));
    }
    return wait;
  }

  /** The gate let a request through at `now`: charged at a typical cost until its body is seen. */
  granted(declared: number | undefined, now: number): void {
    if (!this.active) return;
    const request: SentRequest = {
      at: now,
      declared,
      input: mean(this.recentInput),
      output: mean(this.recentOutput),
      sent: false,
      budgetCharge: 0,
    };
    this.track(request, now);
  }

  /**
   * `policy.fetch` is sending a request, estimated at `estimate` from its body: the oldest request
   * let through and not yet sent (within 2 s), or a new one when there is none (a request sent
   * outside the gate). Its charge becomes the estimate.
   */
  sending(estimate: RequestTokens | undefined, now: number): SentRequest {
    this.active = true;
    this.expireUnsent(now);
    let request = this.tracked[this.unsent];
    if (request === undefined) {
      request = { at: now, declared: undefined, input: 0, output: 0, sent: false, budgetCharge: 0 };
      this.track(request, now);
    }
    this.unsent++;
    request.sent = true;
    if (estimate !== undefined) {
      this.recharge(request, estimate.input, estimate.output);
      remember(this.recentInput, estimate.input);
      remember(this.recentOutput, estimate.output);
    }
    return request;
  }

  /**
   * A reply to `request` reported `limits`: each limit's mirror restarts from the remaining count,
   * less the requests let through after `request`. `failed`: no reply came (the connection
   * failed), so nothing was spent. Returns whether anything changed.
   */
  replied(request: SentRequest, limits: ServerLimits | undefined, now: number): boolean {
    const index = this.tracked.indexOf(request);
    if (index < 0 || limits === undefined) return false;
    this.tracked.splice(0, index + 1);
    this.unsent = Math.max(0, this.unsent - index - 1);
    for (const kind of KINDS) {
      const limit = limits[kind];
      if (limit !== undefined) this.observe(kind, limit, request.at, now);
    }
    return true;
  }

  /** A request that got no reply: its charge is taken back (the server saw nothing to spend). */
  failed(request: SentRequest): void {
    const index = this.tracked.indexOf(request);
    if (index < 0) return;
    this.tracked.splice(index, 1);
    if (index < this.unsent) this.unsent--;
    for (const [kind, mirror] of this.mirrors) mirror.level += costOf(kind, request);
  }

  private observe(kind: ServerLimitKind, reported: ServerLimit, at: number, now: number): void {
    const previous = this.mirrors.get(kind);
    const limit = reported.limit ?? previous?.limit;
    const { remaining, resetMs } = reported;
    let ratePerMs = previous?.ratePerMs;
    if (limit !== undefined && resetMs !== undefined && resetMs > 0 && remaining < limit) {
      ratePerMs = (limit - remaining) / resetMs;
    } else if (limit !== undefined && ratePerMs === undefined) {
      ratePerMs = limit / MINUTE_MS;
    }
    let level = remaining;
    for (const request of this.tracked) level -= costOf(kind, request);
    this.mirrors.set(kind, {
      level,
      at: Math.min(at, now),
      limit,
      ratePerMs: ratePerMs !== undefined && ratePerMs > 0 ? ratePerMs : undefined,
      resetAt: resetMs === undefined ? undefined : now + resetMs,
      expiresAt: now + this.maxWaitMs,
    });
  }

  /** The mirror's level at `now`: refilled since it was reported, never above the limit. */
  private levelAt(mirror: Mirror, now: number): number {
    const { level, at, limit, ratePerMs, resetAt } = mirror;
    if (ratePerMs !== undefined) {
      const refilled = level + Math.max(0, now - at) * ratePerMs;
      return limit === undefined ? refilled : Math.min(limit, refilled);
    }
    return resetAt !== undefined && now >= resetAt ? Number.POSITIVE_INFINITY : level;
  }

  /** What a request must find left of `kind` to go: its declared cost, else the largest recent. */
  private reserve(kind: ServerLimitKind, declared: number | undefined): number {
    const input = Math.max(0, ...this.recentInput);
    const output = Math.max(0, ...this.recentOutput);
    return costOf(kind, { declared, input, output });
  }

  /** Sets `request`'s charge to `input` and `output`, correcting every mirror by the difference. */
  private recharge(request: SentRequest, input: number, output: number): void {
    for (const [kind, mirror] of this.mirrors) mirror.level += costOf(kind, request);
    request.input = input;
    request.output = output;
    for (const [kind, mirror] of this.mirrors) mirror.level -= costOf(kind, request);
  }

  private track(request: SentRequest, now: number): void {
    this.tracked.push(request);
    for (const [kind, mirror] of this.mirrors) mirror.level -= costOf(kind, request);
    // Requests whose reply never came (or came without headers) stop counting after a while.
    while (
      this.tracked.length > MAX_TRACKED ||
      (this.tracked.length > 0 && now - (this.tracked[0] as SentRequest).at > FORGET_MS)
    ) {
      this.tracked.shift();
      if (this.unsent > 0) this.unsent--;
    }
  }

  /** Requests let through over 2 s ago and never sent went nowhere: their charge is taken back. */
  private expireUnsent(now: number): void {
    for (
      let request = this.tracked[this.unsent];
      request !== undefined && !request.sent && now - request.at > CLAIM_MS;
      request = this.tracked[this.unsent]
    ) {
      this.failed(request);
    }
  }
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

function remember(values: number[], value: number): void {
  values.push(value);
  if (values.length > RECENT) values.shift();
}
