import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { replies } from '../../src/testing/index.js';
import { useFakeServer } from '../support/providerStreams.js';

const fake = useFakeServer();

/** The SSE body the fake server sends to a POST of `body` on `path`, as text. */
async function wire(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${fake().origin}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

const eventNames = (text: string) => [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
const dataLines = (text: string) =>
  [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] as string));

describe('the fake server in the Anthropic Messages wire format', () => {
  const request = { model: 'claude-test', max_tokens: 10, messages: [], stream: true };

  it('streams message_start ... message_stop, one text_delta per chunk', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b'] }));
    const { status, text } = await wire('/v1/messages', request);
    expect(status).toBe(200);
    expect(eventNames(text)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const data = dataLines(text);
    expect(data[0]).toMatchObject({ type: 'message_start', message: { model: 'claude-test' } });
    expect(data[3]).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'a' },
    });
    expect(data[6]).toMatchObject({ delta: { stop_reason: 'end_turn' } });
    expect(fake().requests[0]).toMatchObject({ path: '/v1/messages', stream: true });
  });

  it('sends an overloaded_error event after errorAfter chunks, and stops after cutAfter', async () => {
    fake().setScript([
      replies.stream({ chunks: ['a', 'b'], errorAfter: 1 }),
      replies.stream({ chunks: ['a', 'b'], cutAfter: 1 }),
    ]);
    const errored = await wire('/v1/messages', request);
    expect(eventNames(errored.text).slice(-2)).toEqual(['content_block_delta', 'error']);
    expect(dataLines(errored.text).at(-1)).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    const cut = await wire('/v1/messages', request);
    expect(eventNames(cut.text).slice(-1)).toEqual(['content_block_delta']);
  });

  it('answers the real SDK without a stream with a message', async () => {
    const client = new Anthropic({ apiKey: 'test', baseURL: fake().origin, maxRetries: 0 });
    fake().setScript(replies.ok({ content: 'Hi there' }));
    const message = await client.messages.create({
      model: 'claude-test',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message).toMatchObject({
      role: 'assistant',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Hi there' }],
    });
  });
});

describe('replies.stream thinking', () => {
  it('sends a thinking block before the text block on Anthropic streams', async () => {
    fake().setScript(replies.stream({ chunks: ['a'], thinking: ['hm', 'm'] }));
    const { text } = await wire('/v1/messages', { stream: true });
    const data = dataLines(text);
    expect(data.slice(1, 6)).toEqual([
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'm' } },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'signature_delta', signature: 'fake-signature' },
      },
      { type: 'content_block_stop', index: 0 },
    ]);
    expect(data[8]).toEqual({
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'text_delta', text: 'a' },
    });
  });

  it('sends thought parts before the text on Gemini streams', async () => {
    fake().setScript(replies.stream({ chunks: ['a'], thinking: ['hm'] }));
    const { text } = await wire('/v1beta/models/m:streamGenerateContent', {});
    const parts = dataLines(text.replaceAll('\r', '')).map((c) => c.candidates[0].content.parts);
    expect(parts).toEqual([[{ text: 'hm', thought: true }], [{ text: 'a' }], [{ text: '' }]]);
  });

  it('is checked: an array of strings', () => {
    expect(() => replies.stream({ thinking: 'hm' as never })).toThrow(
      new TypeError('replies.stream: thinking must be an array of strings, got "hm"'),
    );
  });
});

describe('the fake server in the Gemini wire format', () => {
  it('streams one GenerateContentResponse per chunk, then a finishReason', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b'] }));
    const { status, text } = await wire(
      '/v1beta/models/gemini-test:streamGenerateContent?alt=sse',
      { contents: [] },
    );
    expect(status).toBe(200);
    const data = dataLines(text.replaceAll('\r', ''));
    expect(data.map((chunk) => chunk.candidates[0].content.parts[0].text)).toEqual(['a', 'b', '']);
    expect(data.map((chunk) => chunk.candidates[0].finishReason)).toEqual([
      undefined,
      undefined,
      'STOP',
    ]);
    expect(data[0]).toMatchObject({ modelVersion: 'gemini-test' });
    expect(fake().requests[0]).toMatchObject({ model: 'gemini-test', stream: true });
  });

  it('sends a 503 UNAVAILABLE error chunk after errorAfter chunks', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b'], errorAfter: 1 }));
    const { text } = await wire('/v1beta/models/m:streamGenerateContent?alt=sse', {});
    expect(dataLines(text.replaceAll('\r', '')).at(-1)).toMatchObject({
      error: { code: 503, status: 'UNAVAILABLE' },
    });
  });

  it('answers the real SDK without a stream with a response', async () => {
    const client = new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: fake().origin } });
    fake().setScript(replies.ok({ content: 'Hi there' }));
    const response = await client.models.generateContent({ model: 'gemini-test', contents: 'hi' });
    expect(response.text).toBe('Hi there');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(fake().requests[0]).toMatchObject({ model: 'gemini-test', stream: false });
  });

  it('answers 404 to a path of no provider', async () => {
    const { status } = await wire('/v1beta/models/m:countTokens', {});
    expect(status).toBe(404);
  });
});

describe('replies.stream cutAfter', () => {
  it('ends an OpenAI chat stream cleanly without its finish_reason chunk and [DONE]', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: fake().baseURL, maxRetries: 0 });
    fake().setScript(replies.stream({ chunks: ['a', 'b', 'c'], cutAfter: 2 }));
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['a', 'b']);
    expect(chunks.every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
  });

  it('is checked like the other faults', () => {
    expect(() => replies.stream({ chunks: ['a'], cutAfter: 2 })).toThrow(
      new TypeError(
        'replies.stream: cutAfter must be an integer from 0 to chunks.length (1), got 2',
      ),
    );
    expect(() => replies.stream({ errorAfter: 1, cutAfter: 1 })).toThrow(
      /errorAfter\/cutAfter must be given one at a time/,
    );
  });
});
