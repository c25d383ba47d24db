import { describe, expect, it } from 'vitest';
import { StreamUsage, usageTokensOf } from '../../src/rateLimit/usageTokens.js';

describe('usageTokensOf', () => {
  it.each([
    ['OpenAI chat', { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }, 15],
    ['OpenAI without a total', { usage: { prompt_tokens: 10, completion_tokens: 5 } }, 15],
    ['OpenAI Responses', { usage: { input_tokens: 7, output_tokens: 3 } }, 10],
    [
      'Anthropic, cache writes counted',
      { usage: { input_tokens: 7, cache_creation_input_tokens: 100, output_tokens: 3 } },
      110,
    ],
    ['Gemini', { usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6 } }, 10],
    ['Gemini with a total', { usageMetadata: { totalTokenCount: 12 } }, 12],
    ['AI SDK 5 and 6', { usage: { inputTokens: 2, outputTokens: 3 } }, 5],
    ['AI SDK, every step', { usage: { totalTokens: 5 }, totalUsage: { totalTokens: 9 } }, 9],
    ['AI SDK 4', { usage: { promptTokens: 2, completionTokens: 2 } }, 4],
  ])('reads %s usage', (_name, reply, tokens) => {
    expect(usageTokensOf(reply)).toBe(tokens);
  });

  it('says nothing of replies without usage, or with usage that is not counts', () => {
    for (const reply of [
      undefined,
      null,
      'text',
      {},
      { usage: Promise.resolve({ totalTokens: 3 }) },
      { usage: { total_tokens: -1 } },
      { usage: { total_tokens: Number.POSITIVE_INFINITY } },
      {
        get usage() {
          throw new Error('boom');
        },
      },
    ]) {
      expect(usageTokensOf(reply)).toBe(undefined);
    }
  });
});

describe('StreamUsage', () => {
  it("adds Anthropic's message_start input to message_delta's cumulative output", () => {
    const usage = new StreamUsage();
    usage.see({
      type: 'message_start',
      message: { usage: { input_tokens: 20, output_tokens: 1 } },
    });
    usage.see({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'hi' } });
    usage.see({ type: 'message_delta', usage: { output_tokens: 4 } });
    usage.see({ type: 'message_delta', usage: { output_tokens: 9 } });
    expect(usage.tokens).toBe(29);
  });

  it("takes OpenAI's final usage chunk, the Responses API's completed event and the AI SDK's finish", () => {
    const chat = new StreamUsage();
    chat.see({ object: 'chat.completion.chunk', choices: [], usage: null });
    chat.see({ object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 33 } });
    expect(chat.tokens).toBe(33);
    const responses = new StreamUsage();
    responses.see({
      type: 'response.completed',
      response: { usage: { input_tokens: 1, output_tokens: 2 } },
    });
    expect(responses.tokens).toBe(3);
    const aiSdk = new StreamUsage();
    aiSdk.see({ type: 'finish-step', usage: { totalTokens: 4 } });
    aiSdk.see({ type: 'finish', totalUsage: { totalTokens: 8 } });
    expect(aiSdk.tokens).toBe(8);
  });

  it('reports nothing for a stream without usage', () => {
    const usage = new StreamUsage();
    usage.see({ object: 'chat.completion.chunk', choices: [{ delta: { content: 'x' } }] });
    usage.see(null);
    expect(usage.tokens).toBe(undefined);
  });
});
