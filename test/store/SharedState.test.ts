import { describe, expect, it } from 'vitest';
import { type PolicyEvent, PolicyEvents } from '../../src/events.js';
import { Reporter } from '../../src/pipeline/reporter.js';
import type { EnterAnswer, PolicyStateStore } from '../../src/store/PolicyStore.js';
import { SharedState, storeFailureCause } from '../../src/store/SharedState.js';
import { CLOSED } from '../support/storeAnswers.js';

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
    // An answer that comes while the process is busy is read one turn of the event loop late.
    const afterTurns = (turns: number) =>
      new Promise<EnterAnswer>((resolve) => {
        const turn = (left: number): void => {
          if (left === 0) resolve(CLOSED);
          else setImmediate(() => turn(left - 1));
        };
        setTimeout(() => turn(turns), 20);
      });
    for (const [turns, expected] of [
      [1, CLOSED],
      [2, CLOSED],
      [3, undefined],
    ] as const) {
      const events = new PolicyEvents();
      const seen = listen(events);
      const store: PolicyStateStore = {
        timeoutMs: 20,
        enter: () => afterTurns(turns),
        leave: () => Promise.reject(new Error('unused')),
        ping: () => Promise.resolve(),
      };
      const shared = new SharedState(store, new Reporter({ name: 'p', events }));
      await expect(shared.enter({})).resolves.toEqual(expected);
      expect(seen).toEqual(expected === undefined ? ['unavailable timeout'] : []);
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
  });

  it.each([
    [{ code: 'ECONNRESET', message: 'NOPE' }, 'ECONNRESET'],
    [{ code: 'econnreset', message: 'LOADING Redis is loading' }, 'LOADING'],
    [{ code: 'E_1', message: 'x', name: 'ReplyError' }, 'ReplyError'],
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
