import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../src/pipeline/callWatchers.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createStreamPolicy } from '../../src/policies/stream.js';

describe('watchCalls', () => {
  it('nests the watchers in the order added, ends them innermost first, each once', async () => {
    const policy = createPolicy({
      name: 'w',
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 },
    });
    const log: string[] = [];
    const outcomes: CallOutcome[] = [];
    const watcher = (name: string, withRun: boolean) => ({
      start: () => {
        log.push(`start ${name}`);
        return {
          ...(withRun
            ? {
                run: <T>(work: () => T): T => {
                  log.push(`run ${name}`);
                  return work();
                },
              }
            : {}),
          end: (outcome: CallOutcome) => {
            log.push(`end ${name}`);
            outcomes.push(outcome);
          },
        };
      },
    });
    const stopA = policy.watchCalls(watcher('a', true));
    const stopB = policy.watchCalls(watcher('b', false));
    let tries = 0;
    const answer = await policy.execute(() => {
      log.push('work');
      if (++tries === 1) throw Object.assign(new Error('x'), { status: 500 });
      return 'ok';
    });
    expect(answer).toBe('ok');
    expect(log).toEqual(['start a', 'run a', 'start b', 'work', 'work', 'end b', 'end a']);
    expect(outcomes).toEqual([{ attempts: 2 }, { attempts: 2 }]);
    stopA();
    stopA();
    log.length = 0;
    await expect(policy.execute(() => Promise.reject(new TypeError('bad')))).rejects.toThrow();
    expect(log).toEqual(['start b', 'end b']);
    expect(outcomes.at(-1)?.reason?.kind).toBe('unknown');
    stopB();
    log.length = 0;
    await policy.execute(() => 'ok');
    expect(log).toEqual([]);
  });

  it('runs the work once whatever a watcher’s run does with it', async () => {
    const policy = createPolicy({ name: 'odd' });
    let works = 0;
    const work = () => {
      works++;
      return 'ok';
    };
    // A run that never calls the work: the call runs anyway.
    const stop = policy.watchCalls({
      start: () => ({ run: () => undefined as never, end: () => {} }),
    });
    await expect(policy.execute(work)).resolves.toBe('ok');
    stop();
    // A run that swallows the work's synchronous throw: the call still fails with it.
    const swallow = policy.watchCalls({
      start: () => ({
        run: <T>(inner: () => T): T => {
          try {
            return inner();
          } catch {
            return undefined as T;
          }
        },
        end: () => {},
      }),
    });
    const thrown = new Error('sync');
    await expect(
      policy.execute(() => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    swallow();
    expect(works).toBe(1);
  });

  it('ends a stream policy’s call when its stream fails, with the failure', async () => {
    const policy = createStreamPolicy({ name: 's', retry: { maxRetries: 0 } });
    const outcomes: CallOutcome[] = [];
    policy.watchCalls({ start: () => ({ end: (o) => outcomes.push(o) }) });
    const boom = Object.assign(new Error('cut'), { status: 500 });
    const stream = await policy.execute(async function* () {
      yield { choices: [{ delta: { content: 'a' } }] };
      throw boom;
    });
    expect(outcomes).toEqual([]);
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow();
    expect(outcomes).toEqual([
      { attempts: 1, reason: expect.objectContaining({ kind: 'server' }) },
    ]);
  });
});
