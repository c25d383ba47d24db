import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { guardStream, type StreamEndReport } from '../../src/stream/guardStream.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { StreamInterruptedError } from '../../src/stream/StreamInterruptedError.js';
import { drain } from '../support/channel.js';
import { numRuns } from './numRuns.js';

// Property: whatever the source does (chunks at any pace, then an end, a failure or a stall) and
// whatever the consumer does (read to the end, break, abort), a guarded stream either ends after
// delivering every chunk in order, or throws a StreamInterruptedError that counts the chunks
// delivered; it never ends silently, reports its end exactly once, closes the source when it gives
// up, and leaves no timer or abort listener behind.

type Terminal = 'end' | 'throw' | 'stall';
type Consumer = { kind: 'readAll' } | { kind: 'break' | 'abort'; after: number };

interface Scenario {
  delays: number[]; // one per chunk, in ms
  terminal: Terminal;
  terminalDelay: number;
  idleMs: number;
  consumer: Consumer;
}

const IDLE = [10, 25, 50];
// Mostly prompt chunks, sometimes one slower than the idle limit.
const delay = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 9 }), weight: 6 },
  { arbitrary: fc.integer({ min: 0, max: 80 }), weight: 1 },
);
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    delays: fc.array(delay, { maxLength: 8 }),
    terminal: fc.constantFrom<Terminal>('end', 'throw', 'stall'),
    terminalDelay: delay,
    idleMs: fc.constantFrom(...IDLE),
    consumer: fc.oneof(
      fc.constant<Consumer>({ kind: 'readAll' }),
      fc.record({ kind: fc.constantFrom('break' as const, 'abort' as const), after: fc.nat(4) }),
    ),
  })
  // A chunk due exactly when the idle timer fires is a tie the guard may break either way.
  .filter((s) => [...s.delays, s.terminalDelay].every((d) => d !== s.idleMs));

const sourceError = new Error('source failed');
const FIRST_CHUNK_LIMIT_MS = 1_000;

/** A source scripted by the scenario; its pending step is cancelled when it is returned. */
function scriptedSource(s: Scenario) {
  const state = { returned: 0 };
  let step = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<number>>((resolve, reject) => {
          const index = step;
          step += 1;
          const delay = s.delays[index];
          if (delay !== undefined) {
            pending = setTimeout(() => resolve({ done: false, value: index }), delay);
          } else if (s.terminal === 'end') {
            pending = setTimeout(() => resolve({ done: true, value: undefined }), s.terminalDelay);
          } else if (s.terminal === 'throw') {
            pending = setTimeout(() => reject(sourceError), s.terminalDelay);
          } // 'stall': never settles
        }),
      return: () => {
        state.returned += 1;
        clearTimeout(pending);
        return Promise.resolve({ done: true, value: undefined });
      },
    }),
  };
  return { iterable, state };
}

/** What the scenario must produce: the chunks delivered and how the consumer's loop ends. */
function expected(s: Scenario): { chunks: number; ends: 'completed' | 'released' | 'throws' } {
  const n = s.delays.length;
  // Chunks after the first are each subject to the idle limit; the first is not.
  const idleStop = s.delays.findIndex((d, i) => i > 0 && d > s.idleMs);
  const available = idleStop === -1 ? n : idleStop;
  const c = s.consumer;
  if (c.kind !== 'readAll' && c.after >= 1 && c.after <= available) {
    return { chunks: c.after, ends: c.kind === 'break' ? 'released' : 'throws' };
  }
  if (idleStop !== -1) return { chunks: available, ends: 'throws' };
  const terminalWithinIdle = n === 0 || s.terminalDelay < s.idleMs;
  if (s.terminal === 'end' && terminalWithinIdle) return { chunks: n, ends: 'completed' };
  return { chunks: n, ends: 'throws' };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('guardStream (property)', () => {
  it('ends after every chunk in order or throws with the count delivered, never silently, leaving nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        vi.useFakeTimers();
        try {
          const { iterable, state } = scriptedSource(s);
          const controller = new AbortController();
          const ends: StreamEndReport[] = [];
          const received: number[] = [];
          let loopEnd: 'completed' | 'released' | 'throws' | 'pending' = 'pending';
          let thrown: unknown;
          let openFailure: unknown;
          const firstChunkLimit = setTimeout(
            () => controller.abort(new Error('no first chunk')),
            FIRST_CHUNK_LIMIT_MS,
          );

          const startedAt = Date.now();
          const consume = (async () => {
            let stream: Awaited<ReturnType<typeof guardStream<number>>>;
            try {
              stream = await guardStream(iterable, {
                controller,
                idleMs: s.idleMs,
                onEnd: (r) => ends.push(r),
              });
            } catch (error) {
              openFailure = error;
              return;
            } finally {
              clearTimeout(firstChunkLimit);
            }
            try {
              for await (const chunk of stream) {
                received.push(chunk);
                const c = s.consumer;
                if (c.kind === 'break' && received.length === c.after) {
                  loopEnd = 'released';
                  break;
                }
                if (c.kind === 'abort' && received.length === c.after) {
                  controller.abort(new Error('caller gave up'));
                }
              }
              if (loopEnd === 'pending') loopEnd = 'completed';
            } catch (error) {
              loopEnd = 'throws';
              thrown = error;
            }
          })();

          await vi.runAllTimersAsync();
          let settled = false;
          void consume.then(() => {
            settled = true;
          });
          await vi.runAllTimersAsync();

          // Every stream ends or throws: nothing is left waiting once the clock has run out.
          expect(settled).toBe(true);
          expect(vi.getTimerCount()).toBe(0);
          expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

          if (s.delays.length === 0 && s.terminal !== 'end') {
            // Failed or stalled before the first chunk: guardStream itself rejects, unwrapped.
            expect(openFailure).toBe(
              s.terminal === 'throw' ? sourceError : controller.signal.reason,
            );
            expect(ends).toHaveLength(0);
            expect(state.returned).toBe(1);
            return;
          }
          expect(openFailure).toBeUndefined();
          const want =
            s.delays.length === 0 ? { chunks: 0, ends: 'completed' as const } : expected(s);
          expect(received).toEqual(Array.from({ length: want.chunks }, (_, i) => i));
          expect(loopEnd).toBe(want.ends);
          expect(ends).toHaveLength(1);
          expect(ends[0]?.chunks).toBe(want.chunks);
          expect(ends[0]?.outcome).toBe(want.ends === 'throws' ? 'failed' : want.ends);
          expect(ends[0]?.durationMs).toBeGreaterThanOrEqual(0);
          expect(ends[0]?.durationMs).toBeLessThanOrEqual(Date.now() - startedAt);
          if (want.ends === 'throws') {
            expect(thrown).toBeInstanceOf(StreamInterruptedError);
            const error = thrown as StreamInterruptedError;
            expect(error.chunks).toBe(want.chunks);
            const cause = error.cause;
            if (cause instanceof TimeoutError) {
              expect(cause.scope).toBe('idle');
              expect(cause.timeoutMs).toBe(s.idleMs);
            } else if (cause !== sourceError) {
              expect(s.consumer.kind).toBe('abort');
              expect((cause as Error).message).toBe('caller gave up');
            }
          }
          if (want.ends !== 'completed') {
            // Giving up or leaving early closes the connection behind the stream.
            expect(controller.signal.aborted).toBe(true);
            expect(state.returned).toBeGreaterThanOrEqual(1);
          }
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: numRuns(300) },
    );
  });
});

// Property: for each provider's stream shape, with any amount of thinking before the answer and
// the stream cut cleanly at any point, the guard commits at the first output chunk (never at a
// lifecycle or thinking chunk), completes only when the chunk that ends the answer arrived, and
// otherwise fails: before the first output with a StreamEndedEarlyError (so the policy retries
// it), after it with a StreamInterruptedError counting the chunks delivered.
describe('guardStream on every known provider shape, cut anywhere', () => {
  /** A whole answer: its chunks, where its output starts and where it ends. */
  interface Answer {
    chunks: unknown[];
    firstOutput: number;
    end: number;
  }
  const answer = (before: unknown[], output: unknown[], after: unknown[], end: unknown) => ({
    chunks: [...before, ...output, ...after],
    firstOutput: before.length,
    end: before.length + output.length + after.indexOf(end),
  });
  const anthropicEnd = { type: 'message_stop' };
  const geminiEnd = { candidates: [{ content: { parts: [{ text: '' }] }, finishReason: 'STOP' }] };
  const aiSdkEnd = { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn' };
  const bedrockEnd = { messageStop: { stopReason: 'end_turn' } };
  const responsesEnd = { type: 'response.completed', response: {} };
  const chatEnd = {
    object: 'chat.completion.chunk',
    choices: [{ delta: {}, finish_reason: 'stop' }],
  };
  const shapes: Record<string, (thoughts: number, words: number) => Answer> = {
    anthropic: (thoughts, words) =>
      answer(
        [
          { type: 'message_start', message: {} },
          { type: 'content_block_start', index: 0, content_block: { type: 'thinking' } },
          ...Array.from({ length: thoughts }, () => ({
            type: 'content_block_delta',
            delta: { type: 'thinking_delta', thinking: 'hm' },
          })),
          { type: 'content_block_delta', delta: { type: 'signature_delta', signature: 's' } },
          { type: 'content_block_stop', index: 0 },
          { type: 'ping' },
        ],
        Array.from({ length: words }, () => ({
          type: 'content_block_delta',
          delta: { type: 'text_delta', text: 'w' },
        })),
        [
          { type: 'content_block_stop', index: 1 },
          { type: 'message_delta', delta: {} },
          anthropicEnd,
        ],
        anthropicEnd,
      ),
    gemini: (thoughts, words) =>
      answer(
        Array.from({ length: thoughts }, () => ({
          candidates: [{ content: { parts: [{ text: 'hm', thought: true }] } }],
        })),
        Array.from({ length: words }, () => ({
          candidates: [{ content: { parts: [{ text: 'w' }] } }],
        })),
        [geminiEnd],
        geminiEnd,
      ),
    aiSdk: (thoughts, words) =>
      answer(
        [
          { type: 'start' },
          { type: 'start-step' },
          { type: 'reasoning-start', id: 'r' },
          ...Array.from({ length: thoughts }, () => ({ type: 'reasoning-delta', text: 'hm' })),
          { type: 'reasoning-end', id: 'r' },
          { type: 'text-start', id: 't' },
        ],
        Array.from({ length: words }, () => ({ type: 'text-delta', text: 'w' })),
        [{ type: 'text-end', id: 't' }, { type: 'finish-step' }, aiSdkEnd],
        aiSdkEnd,
      ),
    bedrock: (thoughts, words) =>
      answer(
        [
          { messageStart: { role: 'assistant' } },
          ...Array.from({ length: thoughts }, () => ({
            contentBlockDelta: { delta: { reasoningContent: { text: 'hm' } } },
          })),
          { contentBlockStop: {} },
        ],
        Array.from({ length: words }, () => ({ contentBlockDelta: { delta: { text: 'w' } } })),
        [{ contentBlockStop: {} }, bedrockEnd, { metadata: {} }],
        bedrockEnd,
      ),
    responses: (thoughts, words) =>
      answer(
        [
          { type: 'response.created' },
          { type: 'response.in_progress' },
          ...Array.from({ length: thoughts }, () => ({
            type: 'response.reasoning_summary_text.delta',
          })),
          { type: 'response.output_item.added' },
        ],
        Array.from({ length: words }, () => ({ type: 'response.output_text.delta' })),
        [{ type: 'response.output_item.done' }, responsesEnd],
        responsesEnd,
      ),
    chat: (_thoughts, words) =>
      answer(
        [],
        Array.from({ length: words }, () => ({
          object: 'chat.completion.chunk',
          choices: [{ delta: { content: 'w' }, finish_reason: null }],
        })),
        [chatEnd],
        chatEnd,
      ),
  };

  it('commits at the first output, completes only after the end, fails loudly otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(shapes)),
        fc.nat(3),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (shape, thoughts, words, cutAt) => {
          const whole = (shapes[shape] as (t: number, w: number) => Answer)(thoughts, words);
          const length = Math.round(cutAt * whole.chunks.length);
          const sent = whole.chunks.slice(0, length);
          let pulled = 0;
          async function* source() {
            for (const chunk of sent) {
              pulled += 1;
              yield chunk;
            }
          }
          const opened = await guardStream(source()).then(
            (stream) => ({ stream, pulledAtCommit: pulled }),
            (error: unknown) => ({ error }),
          );
          if (length === 0) {
            expect('stream' in opened && (await drain(opened.stream)).error).toBe(undefined);
            return;
          }
          if (length <= whole.firstOutput) {
            expect('error' in opened && opened.error).toBeInstanceOf(StreamEndedEarlyError);
            return;
          }
          if (!('stream' in opened)) throw new Error(`rejected: ${String(opened.error)}`);
          expect(opened.pulledAtCommit).toBe(whole.firstOutput + 1);
          const { chunks, error } = await drain(opened.stream);
          expect(chunks).toEqual(sent);
          if (length > whole.end) {
            expect(error).toBeUndefined();
          } else {
            expect(error).toBeInstanceOf(StreamInterruptedError);
            expect((error as StreamInterruptedError).cause).toBeInstanceOf(StreamEndedEarlyError);
          }
        },
      ),
      { numRuns: numRuns(300) },
    );
  });
});
