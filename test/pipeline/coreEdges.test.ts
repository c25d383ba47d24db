import { describe, expect, it } from 'vitest';
import { PolicyEvents } from '../../src/events.js';
import { type CallOutcome, type CallWatch, CallWatchers } from '../../src/pipeline/callWatchers.js';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { llmRetry } from '../../src/pipeline/llmRetry.js';
import { createStreamPolicy } from '../../src/policies/stream.js';

// The edges of the core that a whole call rarely reaches: the watchers' own contract, the
// reporting options of a stage used alone, the outcome events' fields.

describe('CallWatchers', () => {
  it('is empty until a watcher is added, and again once it is removed', () => {
    const watchers = new CallWatchers();
    expect(watchers.empty).toBe(true);
    const remove = watchers.add({ start: () => ({ end: () => {} }) });
    expect(watchers.empty).toBe(false);
    remove();
    expect(watchers.empty).toBe(true);
  });

  it("lets a watcher's run see the work's synchronous throw, and rethrows it", () => {
    const watchers = new CallWatchers();
    const seen: unknown[] = [];
    watchers.add({
      start: () => ({
        run: <T>(work: () => T): T => {
          try {
            return work();
          } catch (error) {
            seen.push(error);
            throw error;
          }
        },
        end: () => {},
      }),
    });
    const watches: CallWatch[] = [];
    expect(watchers.start(() => 'fine', watches)).toBe('fine');
    expect(seen).toEqual([]);
    const thrown = new Error('sync');
    expect(() =>
      watchers.start(() => {
        throw thrown;
      }, watches),
    ).toThrow(thrown);
    expect(seen).toEqual([thrown]);
    expect(watches).toHaveLength(2);
  });

  it('ends every watch, the innermost first, whatever one of them throws', () => {
    const ended: string[] = [];
    const watch = (name: string, fails = false): CallWatch => ({
      end: () => {
        ended.push(name);
        if (fails) throw new Error(name);
      },
    });
    CallWatchers.end([watch('outer'), watch('middle', true), watch('inner')], { attempts: 1 });
    expect(ended).toEqual(['inner', 'middle', 'outer']);
  });
});

describe('the outcome of a call', () => {
  it('has no route field outside a fallback policy', async () => {
    const policy = createPolicy({ name: 'plain' });
    const events: object[] = [];
    policy.events.on('success', (e) => events.push(e));
    policy.events.on('failure', (e) => events.push(e));
    await policy.execute(() => 1);
    await expect(policy.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(events).toHaveLength(2);
    for (const event of events) expect('route' in event).toBe(false);
  });

  it("ends a stream policy's watch with the attempts alone when the stream ends well", async () => {
    const policy = createStreamPolicy({ name: 's', retry: { maxRetries: 0 } });
    const outcomes: CallOutcome[] = [];
    policy.watchCalls({ start: () => ({ end: (o) => outcomes.push(o) }) });
    const stream = await policy.execute(async function* () {
      yield { choices: [{ delta: { content: 'a' }, finish_reason: 'stop' }] };
    });
    for await (const _ of stream);
    expect(outcomes).toStrictEqual([{ attempts: 1 }]);
  });

  it('numbers the only attempt 1 in a policy without stages, whatever signal the caller gives', async () => {
    const policy = createPolicy({ name: 'bare' });
    const controller = new AbortController();
    await expect(
      policy.execute(({ attempt }) => attempt, { signal: controller.signal }),
    ).resolves.toBe(1);
    await expect(policy.execute(({ attempt }) => attempt)).resolves.toBe(1);
  });
});

describe('a stage used alone', () => {
  it("reports as 'policy' without a name, and checks name and events", async () => {
    const events = new PolicyEvents();
    const stage = llmRetry({ maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, events });
    const names: string[] = [];
    events.on('retry', (e) => names.push(e.policy));
    let tries = 0;
    await stage.execute(() => {
      if (++tries === 1) throw Object.assign(new Error('x'), { status: 500 });
      return 1;
    });
    expect(names).toEqual(['policy']);
    expect(() => llmRetry({ name: 5 as unknown as string })).toThrow(
      'name must be a string, got 5',
    );
    expect(() => llmRetry({ events: {} as PolicyEvents })).toThrow(
      /^retry\.events must be a PolicyEvents emitter, got/,
    );
  });

  it('is watched from its start to its end', async () => {
    const stage = llmRetry({ maxRetries: 1 });
    const log: string[] = [];
    const stop = stage.watchCalls({
      start: () => {
        log.push('start');
        return { end: (outcome) => log.push(`end ${outcome.attempts}`) };
      },
    });
    await expect(stage.execute(() => 'done')).resolves.toBe('done');
    stop();
    await stage.execute(() => 'unwatched');
    expect(log).toEqual(['start', 'end 1']);
  });
});
