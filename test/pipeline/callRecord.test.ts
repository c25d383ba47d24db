import { describe, expect, it, vi } from 'vitest';
import { CallState, callStateOf, HOLD_UNTIL, holdOf } from '../src/callState.js';

describe('CallState', () => {
  it('stands in for a signal: listeners run once, in order, on the first abort only', () => {
    const call = new CallState(undefined);
    const seen: string[] = [];
    const a = vi.fn(() => seen.push('a'));
    const b = vi.fn(() => seen.push('b'));
    const removed = vi.fn();
    call.addEventListener('abort', a);
    call.addEventListener('abort', removed);
    call.addEventListener('abort', b);
    call.removeEventListener('abort', removed);
    call.removeEventListener('abort', () => {}); // unknown listener: nothing happens
    expect(call.signal.aborted).toBe(false);
    call.abort('first');
    call.abort('second');
    expect(seen).toEqual(['a', 'b']);
    expect(removed).not.toHaveBeenCalled();
    expect(call.aborted).toBe(true);
    expect(call.reason).toBe('first');
  });

  it('removes the listener given, wherever it is in the list, and only that one', () => {
    const call = new CallState(undefined);
    call.removeEventListener('abort', () => {}); // no listener yet: nothing happens
    const seen: string[] = [];
    const first = (): void => {
      seen.push('first');
    };
    const second = (): void => {
      seen.push('second');
    };
    call.addEventListener('abort', first);
    call.addEventListener('abort', second);
    call.removeEventListener('abort', first);
    call.abort('x');
    expect(seen).toEqual(['second']);
    call.removeEventListener('abort', second); // after the abort: nothing happens
  });

  it('makes one real AbortSignal on demand that aborts with the call', () => {
    const call = new CallState(3);
    const real = call.realSignal();
    expect(real).toBeInstanceOf(AbortSignal);
    expect(call.realSignal()).toBe(real);
    call.abort(new Error('stop'));
    expect(real.aborted).toBe(true);
    expect(real.reason).toEqual(new Error('stop'));
    const late = new CallState(undefined);
    late.abort('gone');
    expect(late.realSignal().reason).toBe('gone');
    expect(call.tokens).toBe(3);
  });

  it('is found again from its signal; any other signal is a TypeError', () => {
    const call = new CallState(undefined);
    expect(callStateOf(call.signal)).toBe(call);
    const outside = new TypeError(
      'llm-resilience: a pipeline stage ran outside of an LlmPolicy call',
    );
    expect(() => callStateOf(new AbortController().signal)).toThrow(outside);
    expect(() => callStateOf(undefined)).toThrow(outside);
  });

  it('tells what a successful call still holds on to', () => {
    const call = new CallState(undefined);
    expect(holdOf(call.signal)).toBeUndefined();
    const ended = Promise.resolve();
    call.holdUntil = ended;
    expect(holdOf(call.signal)).toBe(ended);
    expect(holdOf(new AbortController().signal)).toBeUndefined();
    expect(typeof HOLD_UNTIL).toBe('symbol');
  });
});
