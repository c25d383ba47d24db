import { bulkhead, type IDefaultPolicyContext, wrap } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { PolicyEvents } from '../../src/events.js';
import { type CallRecord, callRecordOf } from '../../src/pipeline/callRecord.js';
import { invoke, PipelineStage } from '../../src/pipeline/PipelineStage.js';
import { neverAbortedSignal } from '../../src/signals.js';

/** The smallest stage: runs the function once, and remembers the call it served. */
class Once extends PipelineStage {
  readonly calls: CallRecord[] = [];
  protected run<T>(
    fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T,
    call: CallRecord,
  ): Promise<T> {
    this.calls.push(call);
    return invoke(fn, { signal: call.signal });
  }
}

describe('PipelineStage', () => {
  it('owns a call when it finds none: reports its outcome once, as events and cockatiel events', async () => {
    const events = new PolicyEvents();
    const stage = new Once({ name: 'one', events });
    expect(stage.name).toBe('one');
    expect(stage.events).toBe(events);
    const success = vi.fn();
    const failure = vi.fn();
    const seen: unknown[] = [];
    events.on('success', (e) => seen.push(e));
    events.on('failure', (e) => seen.push(e.reason.kind));
    const subscriptions = [stage.onSuccess(success), stage.onFailure(failure)];
    expect(await stage.execute(() => 'ok')).toBe('ok');
    await expect(stage.execute(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(success).toHaveBeenCalledTimes(1);
    expect(failure).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([
      { policy: 'one', attempts: 0, durationMs: expect.any(Number) },
      'unknown',
    ]);
    for (const subscription of subscriptions) expect(subscription.dispose()).toBeUndefined();
    await stage.execute(() => 'again');
    expect(success).toHaveBeenCalledTimes(1);
  });

  it('joins the call of an outer stage: one record, whatever cockatiel policy stands between', async () => {
    const outer = new Once({});
    const inner = new Once({});
    const outcome = vi.fn();
    inner.onSuccess(outcome);
    let seen: AbortSignal | undefined;
    await wrap(outer, bulkhead(1), inner).execute(({ signal }) => {
      seen = signal;
      return 1;
    });
    expect(inner.calls[0]).toBe(outer.calls[0]);
    expect(callRecordOf(seen)).toBe(outer.calls[0]);
    expect(outcome).not.toHaveBeenCalled();
    // A fresh record for each call, even with cockatiel's shared never-aborted signal.
    await wrap(outer, inner).execute(() => 2);
    expect(outer.calls[1]).not.toBe(outer.calls[0]);
  });

  it("aborts the call's own signal when the caller's aborts, and rejects at once", async () => {
    const stage = new Once({});
    const caller = new AbortController();
    let signal: AbortSignal | undefined;
    const result = stage.execute(({ signal: s }) => {
      signal = s;
      return new Promise(() => {});
    }, caller.signal);
    expect(signal).not.toBe(caller.signal);
    caller.abort('stop');
    await expect(result).rejects.toBe('stop');
    expect(signal?.aborted).toBe(true);
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
