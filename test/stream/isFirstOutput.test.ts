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
    'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.done',
    'response.reasoning_text.delta',
    'response.web_search_call.searching',
  ])('holds back the Responses API event %s', (type) => {
    expect(isFirstOutput({ type, sequence_number: 0 })).toBe(false);
  });

  it('holds back the output item events of a reasoning item, not those of a message', () => {
    for (const type of ['response.output_item.added', 'response.output_item.done']) {
      expect(isFirstOutput({ type, item: { type: 'reasoning', summary: [] } })).toBe(false);
    }
    expect(isFirstOutput({ type: 'response.output_item.done', item: { type: 'message' } })).toBe(
      true,
    );
  });

  it.each([
    'response.output_text.delta',
    'response.function_call_arguments.delta',
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
    ['an object of another shape', { type: 'my_event', data: 1 }],
    ['an object with no type', { text: 'hi' }],
    ['a non-string type', { type: 3 }],
  ])('counts %s as the first token', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(true);
  });

  const anthropicDelta = (type: string) => ({
    type: 'content_block_delta',
    index: 0,
    delta: { type },
  });
  it.each([
    ['message_start', { type: 'message_start', message: {} }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: {} }],
    ['ping', { type: 'ping' }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['a thinking_delta', anthropicDelta('thinking_delta')],
    ['a signature_delta', anthropicDelta('signature_delta')],
  ])('holds back the Anthropic event %s', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(false);
  });

  it.each([
    ['a text_delta', anthropicDelta('text_delta')],
    ['an input_json_delta', anthropicDelta('input_json_delta')],
    ['a citations_delta', anthropicDelta('citations_delta')],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' } }],
    ['message_stop', { type: 'message_stop' }],
  ])('counts the Anthropic event %s as the first token', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(true);
  });

  const gemini = (parts: unknown[], finishReason?: string) => ({
    candidates: [{ content: { parts, role: 'model' }, index: 0, finishReason }],
  });
  it.each([
    ['a thought part', gemini([{ text: 'thinking...', thought: true }])],
    ['a candidate without content', { candidates: [{ index: 0 }] }],
    ['no candidate', { candidates: [] }],
    ['a prompt feedback without a block', { promptFeedback: { safetyRatings: [] } }],
    ['a null part', gemini([null])],
  ])('holds back a Gemini chunk with %s', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(false);
  });

  it.each([
    ['a text part', gemini([{ text: 'Hi' }])],
    ['a function call', gemini([{ functionCall: { name: 'f', args: {} } }])],
    ['a thought and a text part', gemini([{ text: 't', thought: true }, { text: 'Hi' }])],
    ['a finishReason', gemini([], 'STOP')],
    ['a blocked prompt', { promptFeedback: { blockReason: 'SAFETY' } }],
  ])('counts a Gemini chunk with %s as the first token', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(true);
  });

  it.each([
    'start',
    'start-step',
    'text-start',
    'reasoning-start',
    'reasoning-delta',
    'reasoning-end',
    'finish-step',
    'abort',
  ])('holds back the AI SDK part %s', (type) => {
    expect(isFirstOutput({ type })).toBe(false);
  });

  it.each([
    { type: 'text-delta', id: '0', text: 'Hi' },
    { type: 'tool-call', toolCallId: 't', toolName: 'f', input: {} },
    { type: 'tool-input-start', id: 't', toolName: 'f' },
    { type: 'source', sourceType: 'url', url: 'https://example.com' },
    { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop' },
    { type: 'finish', finishReason: 'stop' },
  ])('counts the AI SDK part $type as the first token', (part) => {
    expect(isFirstOutput(part)).toBe(true);
  });

  it.each([
    { type: 'finish', finishReason: 'other' },
    { type: 'finish', finishReason: 'unknown' },
  ])('holds back an AI SDK finish ($finishReason) the provider never sent', (part) => {
    expect(isFirstOutput(part)).toBe(false);
  });

  it.each([
    ['messageStart', { messageStart: { role: 'assistant' } }],
    ['contentBlockStart', { contentBlockStart: { contentBlockIndex: 0, start: {} } }],
    ['a reasoning delta', { contentBlockDelta: { delta: { reasoningContent: { text: 'h' } } } }],
    ['contentBlockStop', { contentBlockStop: { contentBlockIndex: 0 } }],
    ['a delta without content', { contentBlockDelta: { contentBlockIndex: 0 } }],
  ])('holds back the Bedrock ConverseStream event %s', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(false);
  });

  it.each([
    ['a text delta', { contentBlockDelta: { delta: { text: 'Hi' }, contentBlockIndex: 0 } }],
    ['a tool use delta', { contentBlockDelta: { delta: { toolUse: { input: '{' } } } }],
    ['messageStop', { messageStop: { stopReason: 'end_turn' } }],
  ])('counts the Bedrock ConverseStream event %s as the first token', (_name, chunk) => {
    expect(isFirstOutput(chunk)).toBe(true);
  });
});
