import type { CallRecord, LlmCallContext } from './callRecord.js';
import { checkHedgeOptions, type HedgeOptions } from './options.js';
import { invoke, PipelineStage, type StageFn } from './PipelineStage.js';
import { checkReporting, type ReportingOptions, withoutReporting } from './reporter.js';

/** Why an attempt of a hedge round was stopped: another attempt of the round answered first. */
function lostRace(): DOMException {
  return new DOMException(
    'llm-resilience: another attempt of the hedge round answered first',
    'AbortError',
  );
}

/** Options of {@link hedge}: {@link HedgeOptions} and where it reports. */
export type LlmHedgeOptions = HedgeOptions & ReportingOptions;

/**
 * The hedging stage ({@link hedge}), between the retry stage and the rate-limit gate: when an
 * attempt has not answered after `delayMs`, it starts another attempt of the same request beside
 * it (up to `maxHedges`, one every `delayMs`), each through the stages inside (gate, breaker,
 * attempt timeout) as its own attempt with its own number and signal. The first success wins and
 * the other attempts are aborted; a failure waits for the attempts still running, and when every
 * attempt of the round has failed, the round fails with the last failure, for the retry stage to
 * judge. It only answers slowness: a failure with no other attempt running ends the round at
 * once (retrying it is the retry stage's job, with its backoff). Emits `hedge`.
 */
export class LlmHedgePolicy extends PipelineStage<LlmCallContext> {
  private readonly options: HedgeOptions;
  private readonly maxHedges: number;

  constructor(options: LlmHedgeOptions) {
    super(checkReporting('hedge', options));
    this.options = checkHedgeOptions(withoutReporting(options));
    this.maxHedges = this.options.maxHedges ?? 1;
  }

  protected run<T>(fn: StageFn<T, LlmCallContext>, call: CallRecord): Promise<T> {
    if (call.aborted) return Promise.reject(call.reason);
    if (call.attempt === 0) call.attempt = 1; // no retry stage numbers the first attempt
    const { delayMs } = this.options;
    const startedAt = Date.now();
    return new Promise<T>((resolve, reject) => {
      const running = new Set<CallRecord>();
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
            call.offAbort(onAbort);
            stopAll(lostRace());
            resolve(value);
          },
          (error: unknown) => {
            running.delete(branch);
            if (running.size > 0) return;
            call.offAbort(onAbort);
            clearTimeout(timer);
            reject(error);
          },
        );
      };
      const next = (): void => {
        hedges++;
        const attempt = ++call.attempt;
        this.reporter.report('hedge', () => ({ attempt, delayMs: Date.now() - startedAt }));
        start(attempt);
        if (hedges < this.maxHedges) timer = setTimeout(next, delayMs);
      };
      call.onAbort(onAbort);
      start(call.attempt);
      timer = setTimeout(next, delayMs);
    });
  }
}

/**
 * The hedging stage as a cockatiel policy, for your own `wrap()` (see {@link LlmHedgePolicy}):
 * `hedge({ delayMs: 500 })` starts a second attempt beside one that has not answered in 500 ms.
 * `maxHedges` defaults to 1. Each extra attempt is a request the server bills. Throws a
 * TypeError naming a bad option and its value.
 */
export function hedge(options: LlmHedgeOptions): LlmHedgePolicy {
  return new LlmHedgePolicy(options);
}
