import { countTokens as gptCountTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { estimateRequestTokens } from '../../src/rateLimit/requestTokens.js';

const PROMPT = 'Summarise the following report in three short sentences, for an engineer.';

describe('estimateRequestTokens', () => {
  it('counts an OpenAI chat body: the messages at 4 characters a token, plus max_tokens', () => {
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: PROMPT }] },
      ],
      max_tokens: 700,
    });
    const text = `Be brief.\n${PROMPT}`;
    expect(estimateRequestTokens(body)).toEqual({ input: Math.ceil(text.length / 4), output: 700 });
  });

  it('reads every completion cap: max_completion_tokens, max_output_tokens, Gemini and Anthropic', () => {
    const cases: [object, number][] = [
      [{ messages: [], max_completion_tokens: 11 }, 11],
      [{ input: 'hi', max_output_tokens: 12 }, 12],
      [{ contents: [{ parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 13 } }, 13],
      [{ system: 'x', messages: [{ role: 'user', content: 'hi' }], max_tokens: 14 }, 14],
      [{ input: ['a', 'b'] }, 0],
    ];
    for (const [body, output] of cases) {
      expect(estimateRequestTokens(JSON.stringify(body))?.output).toBe(output);
    }
  });

  it('leaves images and files out of the prompt', () => {
    const image = 'A'.repeat(100_000);
    const body = JSON.stringify({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
            { type: 'image', source: { type: 'base64', data: image } },
          ],
        },
      ],
    });
    expect(estimateRequestTokens(body)).toEqual({ input: 4, output: 0 });
  });

  it('counts with a real tokenizer when given one (gpt-tokenizer)', () => {
    const body = JSON.stringify({ messages: [{ role: 'user', content: PROMPT }], max_tokens: 5 });
    const estimate = estimateRequestTokens(body, (text) => gptCountTokens(text));
    expect(estimate).toEqual({ input: gptCountTokens(PROMPT), output: 5 });
    expect(estimate?.input).not.toBe(Math.ceil(PROMPT.length / 4));
  });

  it('says nothing of a body that is not a JSON object', () => {
    for (const body of [undefined, '', 'not json', '[1,2]', '"text"', 'null', 42]) {
      expect(estimateRequestTokens(body)).toBe(undefined);
    }
  });

  it('refuses a count that is not a finite number >= 0, naming rateLimit.countTokens', () => {
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    expect(() => estimateRequestTokens(body, () => Number.NaN)).toThrow(
      /rateLimit\.countTokens must return a finite number >= 0, got NaN/,
    );
  });

  it('walks a deeply nested body within bounds (no stack overflow)', () => {
    const depth = 2_000;
    const content = `${'['.repeat(depth)}"deep"${']'.repeat(depth)}`;
    const body = `{"messages":[{"role":"user","content":${content}}],"max_tokens":1}`;
    expect(estimateRequestTokens(body)).toEqual({ input: 0, output: 1 });
  });
});
