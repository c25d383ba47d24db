import { describe, expect, it } from 'vitest';
import { isFirstOutput } from '../../src/stream/isFirstOutput.js';

describe('isFirstOutput', () => {
  it.each([
    'response.created',
    'response.in_progress',
    'response.queued',
    'response.output_item.added',
    'response.content_part.added',
    'response.reasoning_summary_part.added',
    'response.web_search_call.searching',
  ])('holds back the Responses API event %s', (type) => {
    expect(isFirstOutput({ type, sequence_number: 0 })).toBe(false);
  });

  it.each([
    'response.output_text.delta',
    'response.function_call_arguments.delta',
    'response.reasoning_summary_text.delta',
    'response.output_item.done',
    'response.completed',
    'response.failed',
    'response.incomplete',
  ])('counts the Responses API event %s as the first token', (type) => {
    expect(isFirstOutput({ type })).toBe(true);
  });

  it.each([
    ['a chat completion chunk', { object: 'chat.completion.chunk', choices: [] }],
    ['a string', 'text'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 7],
    ['an event of another API', { type: 'message_start' }],
    ['a non-string type', { type: 3 }],
  ])('counts %s as the first token', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(true);
  });
});
