import { estimateTokens, newId, type StreamFrames } from './openAIBodies.js';
import { sseEvent } from './sse.js';

type Json = Record<string, unknown>;

const modelOf = (body: Json) =>
  typeof body.model === 'string' ? body.model : 'claude-sonnet-4-20250514';

function message(body: Json, content: Json[], stopReason: string | null, outputTokens: number) {
  return {
    id: newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: modelOf(body),
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: estimateTokens(body.messages), output_tokens: outputTokens },
  };
}

/** The JSON body of a successful Anthropic Messages answer with `content`. */
export function anthropicMessage(body: Json, content: string): Json {
  return message(body, [{ type: 'text', text: content }], 'end_turn', estimateTokens(content));
}

/**
 * The SSE frames of an Anthropic Messages stream of `chunks`: `message_start`, with `thinking` a
 * `thinking` content block (its `thinking_delta` events and a `signature_delta`), then the text
 * block's `content_block_start`, a `ping`, one `content_block_delta` (`text_delta`) per chunk, then
 * `content_block_stop`, `message_delta` (`stop_reason: end_turn`) and `message_stop`; its error
 * is the `overloaded_error` event Anthropic sends after a 200.
 */
export function anthropicFrames(
  body: Json,
  chunks: readonly string[],
  thinking: readonly string[],
): StreamFrames {
  const event = (data: Json) => sseEvent(data, data.type as string);
  const delta = (index: number, fields: Json) =>
    event({ type: 'content_block_delta', index, delta: fields });
  const index = thinking.length > 0 ? 1 : 0;
  const thinkingBlock =
    thinking.length === 0
      ? []
      : [
          event({
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          }),
          ...thinking.map((text) => delta(0, { type: 'thinking_delta', thinking: text })),
          delta(0, { type: 'signature_delta', signature: 'fake-signature' }),
          event({ type: 'content_block_stop', index: 0 }),
        ];
  return {
    head: [
      event({ type: 'message_start', message: message(body, [], null, 1) }),
      ...thinkingBlock,
      event({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
      event({ type: 'ping' }),
    ],
    chunk: (text) => delta(index, { type: 'text_delta', text }),
    tail: [
      event({ type: 'content_block_stop', index }),
      event({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: estimateTokens(chunks.join('')) },
      }),
      event({ type: 'message_stop' }),
    ],
    error: event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  };
}
