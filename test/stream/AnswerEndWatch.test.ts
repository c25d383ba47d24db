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
  });
});
