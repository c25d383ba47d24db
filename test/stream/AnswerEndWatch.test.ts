import { describe, expect, it } from 'vitest';
import { AnswerEndWatch } from '../../src/stream/AnswerEndWatch.js';
import { StreamEventError } from '../../src/stream/StreamEventError.js';

const chat = (finish: string | null, choices = 1) => ({
  object: 'chat.completion.chunk',
  choices: Array.from({ length: choices }, () => ({
    delta: { content: 'x' },
    finish_reason: finish,
  })),
});

function watch(chunks: unknown[], isAnswerEnd?: (chunk: never) => boolean): boolean {
  const w = new AnswerEndWatch(isAnswerEnd);
  for (const chunk of chunks) w.see(chunk);
  return w.cutShort;
}

describe('AnswerEndWatch', () => {
  it('takes a chat stream as cut short until a chunk has a finish_reason', () => {
    expect(watch([chat(null), chat(null)])).toBe(true);
    expect(watch([chat(null), chat('stop')])).toBe(false);
    expect(
      watch([chat(null), chat('length'), { object: 'chat.completion.chunk', choices: [] }]),
    ).toBe(false);
    expect(watch([chat('tool_calls')])).toBe(false);
  });

  it('takes a Responses API stream as cut short until its terminal event', () => {
    const events = ['response.created', 'response.in_progress', 'response.output_text.delta'];
    expect(watch(events.map((type) => ({ type })))).toBe(true);
    for (const end of ['response.completed', 'response.failed', 'response.incomplete']) {
      expect(watch([...events, end].map((type) => ({ type })))).toBe(false);
    }
  });

  it('never judges a stream of another shape', () => {
    expect(watch([])).toBe(false);
    expect(watch(['text', 1, null, { type: 'my_event' }, { object: 'other' }])).toBe(false);
    expect(watch([{ object: 'chat.completion.chunk' }])).toBe(true);
    expect(watch([undefined, 0n, Symbol('s'), false])).toBe(false);
  });

  it('takes a chunk whose choices include one finished as the end of a chat answer', () => {
    const mixed = {
      object: 'chat.completion.chunk',
      choices: [...chat(null).choices, ...chat('stop').choices],
    };
    expect(watch([chat(null), mixed])).toBe(false);
  });

  it('does not take the usage chunk (no choices) for the end of the answer', () => {
    const usage = { object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 9 } };
    expect(watch([chat(null), usage])).toBe(true);
    expect(watch([chat('stop'), usage])).toBe(false);
  });

  it('reads past a null choice', () => {
    expect(watch([{ object: 'chat.completion.chunk', choices: [null] }])).toBe(true);
    expect(
      watch([{ object: 'chat.completion.chunk', choices: [null, ...chat('stop').choices] }]),
    ).toBe(false);
  });

  it('takes an Anthropic stream as cut short until message_stop', () => {
    const events = [
      { type: 'message_start', message: {} },
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'a' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' } },
    ];
    expect(watch(events)).toBe(true);
    expect(watch([...events, { type: 'message_stop' }])).toBe(false);
  });

  it('takes a Gemini stream as cut short until a finishReason or a blocked prompt', () => {
    const chunk = (finishReason?: string) => ({
      candidates: [{ content: { parts: [{ text: 'a' }] }, finishReason }],
    });
    expect(watch([chunk(), chunk()])).toBe(true);
    expect(watch([chunk(), chunk('STOP')])).toBe(false);
    expect(watch([chunk('MAX_TOKENS'), { candidates: [], usageMetadata: {} }])).toBe(false);
    expect(watch([{ promptFeedback: { blockReason: 'SAFETY' } }])).toBe(false);
  });

  it("takes an AI SDK fullStream as cut short until a finish the provider's end produced", () => {
    const parts = [{ type: 'start' }, { type: 'text-delta', text: 'a' }];
    expect(watch(parts)).toBe(true);
    expect(watch([...parts, { type: 'finish', finishReason: 'stop' }])).toBe(false);
    expect(
      watch([...parts, { type: 'finish', finishReason: 'other', rawFinishReason: 'pause' }]),
    ).toBe(false);
    expect(watch([...parts, { type: 'finish', finishReason: 'other' }])).toBe(true);
    expect(watch([...parts, { type: 'finish', finishReason: 'unknown' }])).toBe(true);
  });

  it('takes a Bedrock ConverseStream as cut short until messageStop', () => {
    const events = [{ messageStart: { role: 'assistant' } }, { contentBlockDelta: { delta: {} } }];
    expect(watch(events)).toBe(true);
    expect(watch([...events, { messageStop: { stopReason: 'end_turn' } }, { metadata: {} }])).toBe(
      false,
    );
  });

  it('judges every chunk, of any shape, by a given isAnswerEnd', () => {
    const isEnd = (chunk: string) => chunk === 'END';
    expect(watch([], isEnd)).toBe(true);
    expect(watch(['a', 'b'], isEnd)).toBe(true);
    expect(watch(['a', 'END', 'usage'], isEnd)).toBe(false);
    expect(watch([{ object: 'chat.completion.chunk', choices: [] }, 'END'], isEnd)).toBe(false);
    expect(watch([{ type: 'message_stop' }], isEnd)).toBe(true);
  });

  it('throws the error an AI SDK error part carries, and a StreamEventError for a payload', () => {
    const w = new AnswerEndWatch();
    const error = new Error('503');
    expect(() => w.see({ type: 'error', error })).toThrow(error);
    const payload = { type: 'overloaded_error', message: 'Overloaded' };
    let thrown: unknown;
    try {
      w.see({ type: 'error', error: payload });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StreamEventError);
    expect(thrown).toMatchObject({ error: payload, message: 'Overloaded' });
    const event = { type: 'error', code: 'server_error' };
    expect(() => w.see(event)).toThrow(StreamEventError);
    expect(() => w.see({ type: 'message_stop' })).not.toThrow();
    expect(() => w.see({ type: 'error', error: 'boom' })).toThrow(/^boom$/);
    expect(() => w.see({ type: 'error', error: { code: 1 } })).toThrow(
      /^the stream carried an error event$/,
    );
  });
});
