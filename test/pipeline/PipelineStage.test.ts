import { wrap } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { invoke, PipelineStage } from '../src/pipelineStage.js';
import { neverAbortedSignal } from '../src/signals.js';

/** The smallest stage: runs the function once. */
class Once extends PipelineStage {
  execute<T>(
    fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T,
    signal: AbortSignal = neverAbortedSignal,
  ): Promise<T> {
    return invoke(fn, { signal });
  }
}

describe('PipelineStage', () => {
  it('has cockatiel events that never fire and whose subscriptions dispose', async () => {
    const stage = new Once();
    const success = vi.fn();
    const failure = vi.fn();
    const subscriptions = [stage.onSuccess(success), stage.onFailure(failure)];
    expect(await stage.execute(() => 'ok')).toBe('ok');
    await expect(stage.execute(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(success).not.toHaveBeenCalled();
    expect(failure).not.toHaveBeenCalled();
    for (const subscription of subscriptions) expect(subscription.dispose()).toBeUndefined();
    // wrap() hands on the first stage's events: they dispose too.
    expect(wrap(stage, new Once()).onSuccess(success).dispose()).toBeUndefined();
  });
});

describe('invoke', () => {
  it('passes the context, and turns a synchronous throw into a rejection', async () => {
    const context = { signal: neverAbortedSignal };
    expect(await invoke((c) => c, context)).toBe(context);
    const thrown = new Error('sync');
    const result = invoke(() => {
      throw thrown;
    }, context);
    await expect(result).rejects.toBe(thrown);
  });
});
