import { describe, expect, it, vi } from 'vitest';
import { type PolicyEvent, PolicyEvents } from '../../src/events.js';
import { Reporter } from '../../src/pipeline/reporter.js';
import type { PolicyStateStore } from '../../src/store/PolicyStore.js';
import { SharedState, storeFailureCause } from '../../src/store/SharedState.js';
import { CLOSED, LEFT } from '../support/storeAnswers.js';

/** A store whose next answers the test decides: a value, a rejection, or never. */
function scriptedStore(timeoutMs: number) {
  const plan: Array<'answer' | 'fail' | 'hang'> = [];
  let calls = 0;
  const next = <T>(value: T): Promise<T> => {
    calls++;
    const step = plan.shift() ?? 'answer';
    if (step === 'fail')
      return Promise.reject(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }));
    if (step === 'hang') return new Promise(() => {});
    return Promise.resolve(value);
  };
  const store: PolicyStateStore = {
    timeoutMs,
    enter: () => next(CLOSED),
    leave: () => next({ breaker: undefined, closedForMs: 0, paceRatePerSec: 0 }),
    ping: () => next(undefined),
  };
  return { store, plan, calls: () => calls };
}

/** A store's reply, read `turns` turns of the event loop after 20 ms (as a busy process reads it). */
function afterTurns<T>(turns: number, reply: () => T | PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve) => {
    const turn = (left: number): void => {
      if (left === 0) resolve(reply());
      else setImmediate(() => turn(left - 1));
    };
    setTimeout(() => turn(turns), 20);
  });
}

function listen(events: PolicyEvents): string[] {
  const seen: string[] = [];
  events.on('storeUnavailable', (e: PolicyEvent<'storeUnavailable'>) =>
    seen.push(`unavailable ${e.cause}`),
  );
  events.on('storeRecovered', () => seen.push('recovered'));
  return seen;
}

describe('SharedState', () => {
  it('answers undefined at once while the store is unavailable, pings it, and recovers', async () => {
    const { store, plan, calls } = scriptedStore(50);
    const events = new PolicyEvents();
    const seen = listen(events);
    const shared = new SharedState(store, new Reporter({ name: 'p', events }));
    plan.push('fail');
    await expect(shared.enter({})).resolves.toBeUndefined();
    expect(shared.available).toBe(false);
    const before = calls();
    await expect(shared.leave({ sentAt: 0 })).resolves.toBeUndefined();
    expect(calls()).toBe(before); // not asked while unavailable, before the next ping is due
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(shared.enter({})).resolves.toBeUndefined(); // starts a ping
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(shared.available).toBe(true);
    await expect(shared.enter({})).resolves.toEqual(CLOSED);
    expect(seen).toEqual(['unavailable ECONNREFUSED', 'recovered']);
  });

  it('gives up on a store that does not answer within timeoutMs', async () => {
    const { store, plan } = scriptedStore(30);
    const events = new PolicyEvents();
    const seen = listen(events);
    const shared = new SharedState(store, new Reporter({ name: 'p', events }));
    plan.push('hang');
    const started = Date.now();
    await expect(shared.enter({})).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(seen).toEqual(['unavailable timeout']);
  });
  it("takes an answer read in the event loop's turn after the timeout, not one two turns later", async () => {
    for (const [turns, expected, reported] of [
      [1, CLOSED, []],
      [2, CLOSED, []],
      [3, undefined, ['unavailable timeout', 'recovered']],
    ] as const) {
      const events = new PolicyEvents();
      const seen = listen(events);
      const store: PolicyStateStore = {
        timeoutMs: 20,
        enter: () => afterTurns(turns, () => CLOSED),
        leave: () => Promise.reject(new Error('unused')),
        ping: () => Promise.resolve(),
      };
      const shared = new SharedState(store, new Reporter({ name: 'p', events }));
      await expect(shared.enter({})).resolves.toEqual(expected);
      // Once the turns the timeout queued have run: an answer taken is not blamed after all,
      // and a late one ends the outage it caused.
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(seen).toEqual(reported);
      expect(shared.available).toBe(true);
    }
  });

  it('blames a failure read in the turn after the timeout once, and an answer read in that turn ends the outage', async () => {
    const events = new PolicyEvents();
    const seen = listen(events);
    const store: PolicyStateStore = {
      timeoutMs: 20,
      enter: () =>
        afterTurns(1, () =>
          Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
        ),
      leave: () => afterTurns(1, () => LEFT),
      ping: () => Promise.resolve(),
    };
    const shared = new SharedState(store, new Reporter({ name: 'p', events }));
    await expect(Promise.all([shared.enter({}), shared.leave({ sentAt: 0 })])).resolves.toEqual([
      undefined,
      LEFT,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual(['unavailable ECONNRESET', 'recovered']);
    expect(shared.available).toBe(true);
  });

  it('pings an unavailable store at most every 250 ms, one ping at a time, and reports how long it was down', async () => {
    vi.useFakeTimers();
    try {
      const { store, plan, calls } = scriptedStore(50);
      const events = new PolicyEvents();
      const seen = listen(events);
      const downMs: number[] = [];
      events.on('storeRecovered', (e: PolicyEvent<'storeRecovered'>) => downMs.push(e.downMs));
      const shared = new SharedState(store, new Reporter({ name: 'p', events }));
      plan.push('fail', 'fail');
      await expect(shared.enter({})).resolves.toBeUndefined();
      await vi.advanceTimersByTimeAsync(249);
      await shared.enter({});
      expect(calls()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all([shared.enter({}), shared.leave({ sentAt: 0 })]);
      expect(calls()).toBe(2); // one ping, which fails: still the first outage
      await vi.advanceTimersByTimeAsync(249);
      await shared.enter({});
      expect(calls()).toBe(2); // the next ping is due 250 ms after the last one failed
      await vi.advanceTimersByTimeAsync(1);
      await shared.enter({});
      expect(calls()).toBe(3);
      await vi.advanceTimersByTimeAsync(0);
      expect(shared.available).toBe(true);
      expect(seen).toEqual(['unavailable ECONNREFUSED', 'recovered']);
      expect(downMs).toEqual([500]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('bounds each operation where timers are numbers, as in browsers', async () => {
    const setTimer = globalThis.setTimeout;
    vi.stubGlobal('setTimeout', (task: () => void, ms?: number) => Number(setTimer(task, ms)));
    try {
      const answering = new SharedState(scriptedStore(20).store, new Reporter({ name: 'p' }));
      await expect(answering.enter({})).resolves.toEqual(CLOSED);
      const { store, plan } = scriptedStore(20);
      plan.push('hang');
      const hanging = new SharedState(store, new Reporter({ name: 'p' }));
      await expect(hanging.enter({})).resolves.toBeUndefined();
      expect(hanging.available).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('makes every policy on one connection unavailable together, each reporting it once', async () => {
    const { store, plan, calls } = scriptedStore(50);
    const connection = {};
    const eventsA = new PolicyEvents();
    const eventsB = new PolicyEvents();
    const seenA = listen(eventsA);
    const seenB = listen(eventsB);
    const a = new SharedState(
      { ...store, connection },
      new Reporter({ name: 'a', events: eventsA }),
    );
    const b = new SharedState(
      { ...store, connection },
      new Reporter({ name: 'b', events: eventsB }),
    );
    const alone = new SharedState(store, new Reporter({ name: 'c', events: new PolicyEvents() }));
    plan.push('fail');
    await expect(a.enter({})).resolves.toBeUndefined();
    const before = calls();
    await expect(b.enter({})).resolves.toBeUndefined();
    await expect(b.leave({ sentAt: 0 })).resolves.toBeUndefined();
    expect(calls()).toBe(before); // b never asked the dead connection
    expect(b.available).toBe(false);
    expect(alone.available).toBe(true); // another connection is not affected
    await expect(alone.enter({})).resolves.toEqual(CLOSED);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(b.enter({})).resolves.toBeUndefined(); // starts the ping, which answers
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(a.available).toBe(true);
    await expect(a.enter({})).resolves.toEqual(CLOSED);
    expect(seenA).toEqual(['unavailable ECONNREFUSED', 'recovered']);
    expect(seenB).toEqual(['unavailable ECONNREFUSED', 'recovered']);
  });
});

describe('storeFailureCause', () => {
  it('names a failure without its message', () => {
    expect(
      storeFailureCause(
        Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe('ECONNREFUSED');
    expect(storeFailureCause(new Error('NOAUTH Authentication required.'))).toBe('NOAUTH');
    expect(storeFailureCause(new TypeError('unexpected reply'))).toBe('TypeError');
    expect(storeFailureCause(new Error('something went wrong'))).toBe('error');
    expect(storeFailureCause('a string')).toBe('error');
    expect(storeFailureCause(class ConnectionLost {})).toBe('error');
  });

  it.each([
    [{ code: 'ECONNRESET', message: 'NOPE' }, 'ECONNRESET'],
    [{ code: 'econnreset', message: 'LOADING Redis is loading' }, 'LOADING'],
    [{ code: 'E_1', message: 'x', name: 'ReplyError' }, 'ReplyError'],
    [{ code: 'e_CLOSED', name: 'ReplyError' }, 'ReplyError'],
    [{ code: ['ECONNRESET'], name: 'ReplyError' }, 'ReplyError'],
    [{ message: ['NOAUTH'], name: 'ReplyError' }, 'ReplyError'],
    [{ code: 42, message: 'READONLY You cannot write' }, 'READONLY'],
    [{ message: 'ERR wrong number of arguments' }, 'ERR'],
    [{ message: 'OK' }, 'error'],
    [{ message: 'NOSCRIPTS and more' }, 'NOSCRIPTS'],
    [{ message: 'say NOAUTH', name: 'Error' }, 'error'],
    [{ message: 7, name: 'AbortError' }, 'AbortError'],
    [{ name: 'Error' }, 'error'],
    [{}, 'error'],
    [null, 'error'],
  ])('names %j as %s', (error, cause) => {
    expect(storeFailureCause(error)).toBe(cause);
  });
});
