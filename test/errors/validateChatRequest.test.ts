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

  it('says exactly what is wrong for each path, naming types and numbers', () => {
    const params = {
      model: '',
      messages: [
        'hi',
        { role: 'usr', content: 'x' },
        { role: 7, content: 'x' },
        { content: 'x' },
        { role: 'user' },
        { role: 'user', content: [{ text: 'no type' }, 'part', [], null] },
        { role: 'assistant' },
        { role: 'assistant', content: null, tool_calls: null },
        { role: 'assistant', content: 5 },
        { role: 'tool', content: 'x' },
        { role: 'tool', content: 'x', tool_call_id: '' },
        { role: 'function', content: 'x' },
        { role: 'function', name: '', content: 'x' },
        { role: 'function', name: 5, content: 'x' },
        { role: 'function', name: 'f', content: ['x'] },
        { role: 'function', name: 'f', content: 5 },
        { role: 'system', content: null },
        { role: 'user', tool_calls: [{ id: 'call_1' }] },
      ],
      temperature: 2.5,
      top_p: -0.1,
      n: 0,
      max_tokens: 1.5,
      max_completion_tokens: '10',
    };
    const contentParts = 'must be a string or an array of content parts';
    const contentPart = 'must be a content part: an object with a string type';
    const roles = 'system, developer, user, assistant, tool, function';
    expect(problemsOf(params)).toEqual([
      { path: 'model', problem: 'must be a non-empty string, got ""' },
      { path: 'messages[0]', problem: 'must be an object, got string' },
      { path: 'messages[1].role', problem: `must be one of ${roles}, got "usr"` },
      { path: 'messages[2].role', problem: `must be one of ${roles}, got 7` },
      { path: 'messages[3].role', problem: `is required (one of ${roles})` },
      { path: 'messages[4].content', problem: 'is required for role user' },
      { path: 'messages[5].content[0]', problem: `${contentPart}, type missing` },
      { path: 'messages[5].content[1]', problem: `${contentPart}, got string` },
      { path: 'messages[5].content[2]', problem: `${contentPart}, got an array` },
      { path: 'messages[5].content[3]', problem: `${contentPart}, got null` },
      {
        path: 'messages[6].content',
        problem: `${contentParts} unless the message has tool_calls, got undefined`,
      },
      {
        path: 'messages[7].content',
        problem: `${contentParts} unless the message has tool_calls, got null`,
      },
      { path: 'messages[8].content', problem: `${contentParts}, got number` },
      {
        path: 'messages[9].tool_call_id',
        problem: 'must be a non-empty string for a tool message, got undefined',
      },
      {
        path: 'messages[10].tool_call_id',
        problem: 'must be a non-empty string for a tool message, got string',
      },
      {
        path: 'messages[11].name',
        problem: 'must be a non-empty string for a function message, got undefined',
      },
      {
        path: 'messages[12].name',
        problem: 'must be a non-empty string for a function message, got string',
      },
      {
        path: 'messages[13].name',
        problem: 'must be a non-empty string for a function message, got number',
      },
      { path: 'messages[14].content', problem: 'must be a string or null, got an array' },
      { path: 'messages[15].content', problem: 'must be a string or null, got number' },
      { path: 'messages[16].content', problem: 'is required for role system' },
      { path: 'messages[17].content', problem: 'is required for role user' },
      { path: 'temperature', problem: 'must be a number from 0 to 2, got 2.5' },
      { path: 'top_p', problem: 'must be a number from 0 to 1, got -0.1' },
      { path: 'n', problem: 'must be a positive integer, got 0' },
      { path: 'max_tokens', problem: 'must be a positive integer, got 1.5' },
      { path: 'max_completion_tokens', problem: 'must be a positive integer, got "10"' },
    ]);
  });

  it('shows a short scalar given for model, role or a number field, never a long one', () => {
    const long = 'x'.repeat(100);
    const [model, role, n] = problemsOf({
      model: 42,
      messages: [{ role: long, content: 'x' }],
      n: long,
    });
    expect(model?.problem).toBe('must be a non-empty string, got 42');
    const shown = `"${'x'.repeat(40)}\u2026"`;
    expect(role?.problem).toBe(
      `must be one of system, developer, user, assistant, tool, function, got ${shown}`,
    );
    expect(n?.problem).toBe(`must be a positive integer, got ${shown}`);
    expect(problemsOf({ model: null, messages: null }).map((p) => p.problem)).toEqual([
      'must be a non-empty string, got null',
      'must be a non-empty array, got null',
    ]);
    expect(problemsOf({ model: 'm', messages: {} })[0]?.problem).toBe(
      'must be a non-empty array, got object',
    );
  });

  it('names what the request itself is when it is not an object', () => {
    expect(problemsOf(null)).toEqual([
      { path: '(request)', problem: 'must be an object, got null' },
    ]);
    expect(problemsOf([])[0]?.problem).toBe('must be an object, got an array');
    expect(problemsOf('x')[0]?.problem).toBe('must be an object, got string');
  });

  it('returns quietly (no throw) for a valid request', () => {
    expect(() => validateChatRequest(valid)).not.toThrow();
    expect(validateChatRequest({ ...valid, n: 1, temperature: 0 })).toBeUndefined();
  });

  it('joins every problem into the error message, in request order', () => {
    expect(() => validateChatRequest({ model: 1, messages: [] })).toThrow(
      new InvalidRequestError([
        { path: 'model', problem: 'must be a non-empty string, got 1' },
        { path: 'messages', problem: 'must be a non-empty array, got an empty array' },
      ]),
    );
    const error = new InvalidRequestError([
      { path: 'a', problem: 'is wrong' },
      { path: 'b', problem: 'is worse' },
    ]);
    expect(error.message).toBe('Invalid chat request: a: is wrong; b: is worse');
    expect(error.name).toBe('InvalidRequestError');
    expect(error.isLlmResilienceInvalidRequest).toBe(true);
    expect(Object.isFrozen(error.problems)).toBe(true);
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
