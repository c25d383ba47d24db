import type { IDefaultPolicyContext } from 'cockatiel';
import { callStateOf } from './callState.js';
import { classifyError } from './errors/classifyError.js';
import { PipelineStage } from './pipelineStage.js';
import type { RateLimitGate } from './rateLimitGate.js';
import { neverAbortedSignal } from './signals.js';

/**
 * The rate-limit stage, inside the retry stage: every attempt, first or retry, waits at the
 * policy's shared {@link RateLimitGate} (with the call's declared `tokens`), then reports its
 * outcome: a 429 (`rate_limit`) closes the gate, any other answer counts as not rate-limited.
 * An attempt that never got an answer (`aborted`: the caller's abort, an open circuit) reports
 * nothing. The wait honours the call's signal (the caller's abort and the total timeout) and is
 * neither a retry nor a breaker failure.
 */
export class RateLimitStage extends PipelineStage {
  constructor(private readonly gate: RateLimitGate) {
    super();
  }

  async execute<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    signal: AbortSignal = neverAbortedSignal,
  ): Promise<T> {
    const { gate } = this;
    await gate.acquire(signal, callStateOf(signal).tokens);
    let value: T;
    try {
      value = await fn({ signal });
    } catch (error) {
      const reason = classifyError(error);
      if (reason.kind === 'rate_limit') gate.onRateLimited(reason);
      else if (reason.kind !== 'aborted') gate.onSuccess();
      throw error;
    }
    gate.onSuccess();
    return value;
  }
}
