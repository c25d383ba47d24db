import { type CallState, callStateOf, type LlmCallContext } from './callState.js';
import type { HedgeOptions } from './options.js';
import { invoke, PipelineStage } from './pipelineStage.js';
import type { PolicyScope } from './policyScope.js';
import { neverAbortedSignal } from './signals.js';

/** Why an attempt of a hedge round was stopped: another attempt of the round answered first. */
function lostRace(): DOMException {
  return new DOMException(
    'llm-resilience: another attempt of the hedge round answered first',
    'AbortError',
  );
}

/**
 * The hedging stage, between the retry stage and the rate-limit gate: when an attempt has not
 * answered after `delayMs`, it starts another attempt of the same request beside it (up to
 * `maxHedges`, one every `delayMs`), each through the gate, the breaker and the attempt timeout
 * as its own attempt with its own number. The first success wins and the other attempts are
 * aborted; a failure waits for the attempts still running, and when every attempt of the round
 * has failed, the round fails with the last failure, for the retry stage to judge. It only
 * answers slowness: a failure with no other attempt running ends the round at once (retrying it
 * is the retry stage's job, with its backoff). Emits `hedge`.
 */
export class HedgeStage extends PipelineStage<LlmCallContext> {
  private readonly maxHedges: number;

  constructor(
    private readonly options: HedgeOptions,
    private readonly scope: PolicyScope,
  ) {
    super();
    this.maxHedges = options.maxHedges ?? 1;
  }

  execute<T>(
    fn: (context: LlmCallContext) => PromiseLike<T> | T,
    signal: AbortSignal = neverAbortedSignal,
  ): Promise<T> {
    const call = callStateOf(signal);
    if (call.aborted) return Promise.reject(call.reason);
    if (call.attempt === 0) call.attempt = 1; // no retry stage numbers the first attempt
    const { delayMs } = this.options;
    const startedAt = Date.now();
    return new Promise<T>((resolve, reject) => {
      const running = new Set<CallState>();
      let hedges = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stopAll = (reason: unknown): void => {
        clearTimeout(timer);
        for (const branch of running) branch.abort(reason);
      };
      // The call aborted (the caller, the total timeout): stop every attempt; the round settles
      // when the last of them has.
      const onAbort = (): void => stopAll(call.reason);
      // Settling twice is harmless (a promise settles once), so late answers need no flag.
      const start = (attempt: number): void => {
        const branch = call.branch(attempt);
        running.add(branch);
        invoke(fn, { signal: branch.signal, attempt }).then(
          (value) => {
            running.delete(branch);
            call.removeEventListener('abort', onAbort);
            stopAll(lostRace());
            resolve(value);
          },
          (error: unknown) => {
            running.delete(branch);
            if (running.size > 0) return;
            call.removeEventListener('abort', onAbort);
            clearTimeout(timer);
            reject(error);
          },
        );
      };
      const hedge = (): void => {
        hedges++;
        const attempt = ++call.attempt;
        const { events, name } = this.scope;
        if (events.listenerCount('hedge') > 0) {
          events.emit('hedge', { policy: name, attempt, delayMs: Date.now() - startedAt });
        }
        start(attempt);
        if (hedges < this.maxHedges) timer = setTimeout(hedge, delayMs);
      };
      call.addEventListener('abort', onAbort);
      start(call.attempt);
      timer = setTimeout(hedge, delayMs);
    });
  }
}
