import { describe, expect, it, vi } from 'vitest';
import { CallRecord, callRecordOf, classifyOnce } from '../../src/pipeline/callRecord.js';
import { httpError } from '../support/pipeline.js';

describe('CallRecord', () => {
  it('has a real AbortSignal; abort listeners run once, in order, on the first abort only', () => {
    const call = new CallRecord(undefined);
    expect(call.signal).toBeInstanceOf(AbortSignal);
    const seen: string[] = [];
    const a = vi.fn(() => seen.push('a'));
    const b = vi.fn(() => seen.push('b'));
    const removed = vi.fn();
    const removedFirst = vi.fn();
    call.offAbort(() => {}); // no listener yet: nothing happens
    call.onAbort(removedFirst);
    call.onAbort(a);
    call.onAbort(removed);
    call.onAbort(b);
    call.offAbort(removed);
    call.offAbort(removedFirst);
    call.offAbort(() => {}); // unknown listener: nothing happens
    expect(call.aborted).toBe(false);
    expect(call.reason).toBeUndefined();
    call.abort('first');
    call.abort('second');
    expect(seen).toEqual(['a', 'b']);
    expect(removed).not.toHaveBeenCalled();
    expect(removedFirst).not.toHaveBeenCalled();
    expect(call.signal.aborted).toBe(true);
    expect(call.reason).toBe('first');
    call.offAbort(b); // after the abort: nothing happens
  });

  it('is found from its signals, not from others', () => {
    const call = new CallRecord(3);
    expect(callRecordOf(call.signal)).toBe(call);
    expect(callRecordOf(new AbortController().signal)).toBeUndefined();
    expect(callRecordOf(undefined)).toBeUndefined();
    expect(call.tokens).toBe(3);
  });

  it('after an attempt timed out, gives the next attempt a fresh signal of the same call', () => {
    const call = new CallRecord(undefined);
    const first = call.signal;
    expect(call.signal).toBe(first);
    call.abortAttempt('slow');
    call.abortAttempt('again');
    expect(first.reason).toBe('slow');
    expect(call.aborted).toBe(false);
    const second = call.signal;
    expect(second).not.toBe(first);
    expect(second.aborted).toBe(false);
    expect(callRecordOf(second)).toBe(call);
    call.abortAttempt('slow');
    call.abort('stop');
    const stopped = call.signal;
    expect(stopped.reason).toBe('stop');
    call.abortAttempt('late');
    expect(call.signal).toBe(stopped);
    expect(stopped.reason).toBe('stop');
  });

  it('classifies a failed attempt once, and again for a new failure', () => {
    const call = new CallRecord(undefined);
    const error = httpError(500);
    const reason = call.reasonOf(error);
    expect(reason.kind).toBe('server');
    expect(call.reasonOf(error)).toBe(reason);
    const next = httpError(429);
    expect(call.reasonOf(next).kind).toBe('rate_limit');
    const branch = call.branch(2);
    expect(branch.reasonOf(next)).toBe(call.reasonOf(next));
  });

  it('keeps the classification of its failure, and its hedge attempts share it, while other calls fail', () => {
    const call = new CallRecord(undefined);
    const branch = call.branch(2);
    const error = httpError(500);
    const reason = call.reasonOf(error);
    expect(new CallRecord(undefined).reasonOf(httpError(429)).kind).toBe('rate_limit');
    expect(call.reasonOf(error)).toBe(reason);
    expect(branch.reasonOf(error)).toBe(reason);
  });

  it('classifies an error once for every stage that asks, until another error is classified', () => {
    let reads = 0;
    const error = Object.defineProperty(new Error('busy'), 'status', {
      get: () => {
        reads++;
        return 500;
      },
    });
    const reason = classifyOnce(error);
    expect(reason.kind).toBe('server');
    const readsOnce = reads;
    expect(readsOnce).toBeGreaterThan(0);
    expect(classifyOnce(error)).toBe(reason);
    expect(reads).toBe(readsOnce);
    classifyOnce(httpError(429));
    expect(classifyOnce(error)).toEqual(reason);
    expect(reads).toBe(2 * readsOnce);
  });

  it('keeps the latest hold on the next attempt, shared by the hedge attempts of the call', () => {
    const call = new CallRecord(7);
    call.deadline = 99;
    const branch = call.branch(2);
    expect([branch.attempt, branch.tokens, branch.deadline]).toEqual([2, 7, 99]);
    expect(callRecordOf(branch.signal)).toBe(branch);
    branch.holdNext('gate', 100);
    call.holdNext('breaker', 50);
    expect(call.hold).toEqual({ by: 'gate', until: 100 });
    call.holdNext('breaker', 100);
    expect(call.hold).toEqual({ by: 'gate', until: 100 });
    call.holdNext('breaker', 101);
    expect(call.hold).toEqual({ by: 'breaker', until: 101 });
    call.clearHold();
    expect(call.hold).toBeUndefined();
  });
});
