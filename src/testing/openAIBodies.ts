import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { seededRandom } from './seededRandom.js';
import { SSE_DONE, sseEvent } from './sse.js';

/** The endpoints the fake server answers. */
export type Endpoint = 'chat' | 'embeddings' | 'responses';

/** The frames of an SSE reply: sent before the content, one per content chunk, after it, on error. */
export interface StreamFrames {
  head: string[];
  chunk(text: string): string;
  tail: string[];
  error: string;
}

type Json = Record<string, unknown>;

/** A random id with an OpenAI-style prefix: `chatcmpl-...`, `resp_...`, `req_...`. */
export const newId = (prefix: string) => `${prefix}${randomUUID().replaceAll('-', '')}`;
/** A rough token count of `value` (its JSON length / 4, at least 1), for usage fields. */
export const estimateTokens = (value: unknown) =>
  Math.max(1, Math.ceil((JSON.stringify(value) ?? '').length / 4));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const modelOf = (body: Json) => (typeof body.model === 'string' ? body.model : 'gpt-4o-mini');

function chatCompletion(body: Json, content: string): Json {
  const promptTokens = estimateTokens(body.messages);
  const completionTokens = estimateTokens(content);
  return {
    id: newId('chatcmpl-'),
    object: 'chat.completion',
    created: nowSeconds(),
    model: modelOf(body),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    system_fingerprint: 'fp_fake',
  };
}

function embeddingInputs(input: unknown): unknown[] {
  if (Array.isArray(input) && input.length > 0 && typeof input[0] !== 'number') return input;
  return [input];
}

function embeddings(body: Json): Json {
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 1536;
  const inputs = embeddingInputs(body.input);
  const data = inputs.map((input, index) => {
    const text = JSON.stringify(input) ?? '';
    let hash = 0;
    for (const char of text) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) | 0;
    const random = seededRandom(hash);
    const vector = Float32Array.from({ length: dimensions }, () => random() * 2 - 1);
    const embedding =
      body.encoding_format === 'base64'
        ? Buffer.from(vector.buffer).toString('base64')
        : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = estimateTokens(body.input);
  return {
    object: 'list',
    data,
    model: modelOf(body),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

function responseObject(body: Json, id: string, status: string, output: Json[], text: string) {
  const inputTokens = estimateTokens(body.input);
  const outputTokens = status === 'completed' ? estimateTokens(text) : 0;
  return {
    id,
    object: 'response',
    created_at: nowSeconds(),
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model: modelOf(body),
    output,
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    usage:
      status === 'completed'
        ? {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + outputTokens,
          }
        : null,
  };
}

const outputText = (text: string) => ({ type: 'output_text', text, annotations: [] });
const messageItem = (id: string, status: string, content: Json[]) => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content,
});

/** The JSON body of a successful answer with `content` on `endpoint`, for the request `body`. */
export function okBody(endpoint: Endpoint, body: Json, content: string): Json {
  if (endpoint === 'embeddings') return embeddings(body);
  if (endpoint === 'chat') return chatCompletion(body, content);
  const item = messageItem(newId('msg_'), 'completed', [outputText(content)]);
  return responseObject(body, newId('resp_'), 'completed', [item], content);
}

function chatFrames(body: Json, chunks: readonly string[]): StreamFrames {
  const base = {
    id: newId('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: nowSeconds(),
    model: modelOf(body),
    system_fingerprint: 'fp_fake',
  };
  const frame = (delta: Json, finishReason: string | null) =>
    sseEvent({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    });
  let first = true;
  const tail = [frame({}, 'stop')];
  const streamOptions = body.stream_options as Json | undefined;
  if (streamOptions?.include_usage === true) {
    const promptTokens = estimateTokens(body.messages);
    const completionTokens = estimateTokens(chunks.join(''));
    tail.push(
      sseEvent({
        ...base,
        choices: [],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      }),
    );
  }
  tail.push(SSE_DONE);
  return {
    head: [],
    chunk(text) {
      const delta = first ? { role: 'assistant', content: text } : { content: text };
      first = false;
      return frame(delta, null);
    },
    tail,
    error: sseEvent({
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    }),
  };
}

function responsesFrames(body: Json, chunks: readonly string[]): StreamFrames {
  const responseId = newId('resp_');
  const itemId = newId('msg_');
  const text = chunks.join('');
  let sequence = 0;
  const event = (type: string, fields: Json) =>
    sseEvent({ type, sequence_number: sequence++, ...fields }, type);
  const part = { item_id: itemId, output_index: 0, content_index: 0 };
  return {
    head: [
      event('response.created', {
        response: responseObject(body, responseId, 'in_progress', [], ''),
      }),
      event('response.in_progress', {
        response: responseObject(body, responseId, 'in_progress', [], ''),
      }),
      event('response.output_item.added', {
        output_index: 0,
        item: messageItem(itemId, 'in_progress', []),
      }),
      event('response.content_part.added', { ...part, part: outputText('') }),
    ],
    chunk: (delta) => event('response.output_text.delta', { ...part, delta, logprobs: [] }),
    get tail() {
      const item = messageItem(itemId, 'completed', [outputText(text)]);
      return [
        event('response.output_text.done', { ...part, text, logprobs: [] }),
        event('response.content_part.done', { ...part, part: outputText(text) }),
        event('response.output_item.done', { output_index: 0, item }),
        event('response.completed', {
          response: responseObject(body, responseId, 'completed', [item], text),
        }),
      ];
    },
    get error() {
      return event('error', {
        code: 'server_error',
        message: 'The server had an error while processing your request. Sorry about that!',
        param: null,
      });
    },
  };
}

/**
 * The SSE frames of a streamed answer of `chunks` on `endpoint`: chat completion chunks ending
 * in `[DONE]`, or Responses API events ending in `response.completed`.
 */
export function streamFrames(
  endpoint: Endpoint,
  body: Json,
  chunks: readonly string[],
): StreamFrames {
  return endpoint === 'responses' ? responsesFrames(body, chunks) : chatFrames(body, chunks);
}
