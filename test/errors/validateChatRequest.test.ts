import { describe, expect, it } from 'vitest';
import { classifyOpenAIError } from '../../src/errors/classifyOpenAIError.js';
import { InvalidRequestError, type RequestProblem } from '../../src/errors/InvalidRequestError.js';
import { validateChatRequest } from '../../src/errors/validateChatRequest.js';

const user = { role: 'user', content: 'Hello' };
const valid = { model: 'gpt-4o-mini', messages: [user] };

function problemsOf(params: unknown): RequestProblem[] {
  try {
    validateChatRequest(params);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return [...(error as InvalidRequestError).problems];
  }
  return [];
}

const pathsOf = (params: unknown) => problemsOf(params).map((p) => p.path);

describe('validateChatRequest', () => {
  it('passes a valid request, with unknown extra fields and null optional parameters', () => {
    expect(problemsOf(valid)).toEqual([]);
    expect(
      problemsOf({
        ...valid,
        stream: true,
        some_future_field: { x: 1 },
        temperature: null,
        top_p: null,
        n: null,
        max_tokens: null,
        max_completion_tokens: 5,
      }),
    ).toEqual([]);
  });

  it('passes every role in the shape the API allows', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
      { role: 'assistant', function_call: { name: 'f', arguments: '{}' } },
      { role: 'function', name: 'f', content: null },
      { role: 'assistant', content: 'Done.', name: 'bot', extra: true },
    ];
    expect(problemsOf({ ...valid, messages })).toEqual([]);
  });

  it('names the request when it is not an object', () => {
    for (const params of [null, 'x', [], 42]) {
      expect(pathsOf(params)).toEqual(['(request)']);
    }
  });

  it('checks model and messages', () => {
    expect(pathsOf({ messages: [user] })).toEqual(['model']);
    expect(pathsOf({ ...valid, model: '' })).toEqual(['model']);
    expect(pathsOf({ ...valid, model: 4 })).toEqual(['model']);
    expect(pathsOf({ model: 'm' })).toEqual(['messages']);
    expect(pathsOf({ model: 'm', messages: [] })).toEqual(['messages']);
    expect(pathsOf({ model: 'm', messages: { 0: user } })).toEqual(['messages']);
  });

  it('lists every problem with its path', () => {
    const params = {
      model: '',
      messages: [
        user,
        'hi',
        { role: 'usr', content: 'x' },
        { content: 'x' },
        { role: 'user' },
        { role: 'user', content: 5 },
        { role: 'user', content: [{ text: 'no type' }, 'part'] },
        { role: 'assistant' },
        { role: 'assistant', content: null, tool_calls: null },
        { role: 'tool', content: 'x' },
        { role: 'tool', content: 'x', tool_call_id: '' },
        { role: 'function', content: 'x' },
        { role: 'function', name: 'f', content: ['x'] },
        { role: 'system', content: null },
      ],
      temperature: 2.5,
      top_p: -0.1,
      n: 0,
      max_tokens: 1.5,
      max_completion_tokens: '10',
    };
    expect(pathsOf(params)).toEqual([
      'model',
      'messages[1]',
      'messages[2].role',
      'messages[3].role',
      'messages[4].content',
      'messages[5].content',
      'messages[6].content[0]',
      'messages[6].content[1]',
      'messages[7].content',
      'messages[8].content',
      'messages[9].tool_call_id',
      'messages[10].tool_call_id',
      'messages[11].name',
      'messages[12].content',
      'messages[13].content',
      'temperature',
      'top_p',
      'n',
      'max_tokens',
      'max_completion_tokens',
    ]);
  });

  it('accepts the bounds of the ranges and rejects just outside them', () => {
    for (const temperature of [0, 2]) expect(pathsOf({ ...valid, temperature })).toEqual([]);
    for (const top_p of [0, 1]) expect(pathsOf({ ...valid, top_p })).toEqual([]);
    for (const temperature of [-0.01, 2.01, Number.NaN, '1']) {
      expect(pathsOf({ ...valid, temperature })).toEqual(['temperature']);
    }
    for (const top_p of [1.01, -1]) expect(pathsOf({ ...valid, top_p })).toEqual(['top_p']);
    expect(pathsOf({ ...valid, n: 1, max_tokens: 1 })).toEqual([]);
    expect(pathsOf({ ...valid, n: -1, max_tokens: Number.POSITIVE_INFINITY })).toEqual([
      'n',
      'max_tokens',
    ]);
  });

  it('says what is wrong with the value given, never the content', () => {
    const secretPrompt = 'my secret prompt text';
    const problems = problemsOf({
      model: 'm',
      messages: [
        { role: 'usr', content: secretPrompt },
        { role: 'user', content: 5 },
      ],
      temperature: 3,
    });
    expect(problems).toEqual([
      {
        path: 'messages[0].role',
        problem: 'must be one of system, developer, user, assistant, tool, function, got "usr"',
      },
      {
        path: 'messages[1].content',
        problem: 'must be a string or an array of content parts, got number',
      },
      { path: 'temperature', problem: 'must be a number from 0 to 2, got 3' },
    ]);
    const error = (() => {
      try {
        validateChatRequest({
          model: 'm',
          messages: [{ role: 'user', content: { text: secretPrompt } }],
        });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(error.message).toBe(
      'Invalid chat request: messages[0].content: must be a string or an array of content parts, got object',
    );
    expect(error.message).not.toContain(secretPrompt);
  });

  it('throws an InvalidRequestError that classifies as bad_request', () => {
    const error = (() => {
      try {
        validateChatRequest({ model: 'm', messages: [] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(classifyOpenAIError(error)).toMatchObject({
      kind: 'bad_request',
      retryable: false,
      breakerFailure: false,
      message:
        'InvalidRequestError: Invalid chat request: messages: must be a non-empty array, got an empty array',
    });
  });
});
