import { describe, expect, it } from 'vitest';
import { AnswerEndWatch } from '../../src/stream/AnswerEndWatch.js';

const chat = (finish: string | null, choices = 1) => ({
  object: 'chat.completion.chunk',
  choices: Array.from({ length: choices }, () => ({
    delta: { content: 'x' },
    finish_reason: finish,
  })),
});

function watch(chunks: unknown[]): boolean {
  const w = new AnswerEndWatch();
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
    expect(watch(['text', 1, null, { type: 'message_start' }, { object: 'other' }])).toBe(false);
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
});
