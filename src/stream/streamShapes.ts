import { StreamEventError } from './StreamEventError.js';

/**
 * The chunk shapes of the streams the guard knows: where each provider's answer starts (its
 * first output, which commits the call) and where it ends. Thinking (reasoning) and lifecycle
 * chunks never count as output; the chunk that ends the answer counts at the latest.
 */
export interface StreamShape {
  /** Whether `chunk` is a chunk of this shape. */
  matches(chunk: Chunk): boolean;
  /** Whether a chunk of this shape is model output (or the end of the answer). */
  isOutput(chunk: Chunk): boolean;
  /** Whether a chunk of this shape ends the answer. */
  endsAnswer(chunk: Chunk): boolean;
}

/** A chunk that is a non-null object, read field by field. */
type Chunk = Readonly<Record<string, unknown>>;

const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Chunk)[name] : undefined;
const listOf = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** The Responses API events that end a response. */
const RESPONSE_END_EVENTS = new Set([
  'response.completed',
  'response.failed',
  'response.incomplete',
]);

/**
 * OpenAI Responses API events (`response.*`): output is a `.delta` or `.done` event that is not
 * reasoning's (`response.reasoning*`, or an output item of type `reasoning`), or the end event.
 */
const openAIResponses: StreamShape = {
  matches: (chunk) => typeof chunk.type === 'string' && chunk.type.startsWith('response.'),
  isOutput(chunk) {
    const type = chunk.type as string;
    if (RESPONSE_END_EVENTS.has(type)) return true;
    if (type.startsWith('response.reasoning') || field(chunk.item, 'type') === 'reasoning') {
      return false;
    }
    return type.endsWith('.delta') || type.endsWith('.done');
  },
  endsAnswer: (chunk) => RESPONSE_END_EVENTS.has(chunk.type as string),
};

/** OpenAI chat completion chunks: each is output; one with a `finish_reason` ends the answer. */
const openAIChat: StreamShape = {
  matches: (chunk) => chunk.object === 'chat.completion.chunk',
  isOutput: () => true,
  endsAnswer: (chunk) => listOf(chunk.choices).some((c) => field(c, 'finish_reason') != null),
};

const ANTHROPIC_EVENTS = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
]);
/** Anthropic content deltas that are not the model's thinking. */
const ANTHROPIC_OUTPUT_DELTAS = new Set(['text_delta', 'input_json_delta', 'citations_delta']);

/**
 * Anthropic Messages stream events: output is a content delta of text, tool input or citations
 * (not `thinking_delta` / `signature_delta`), or `message_delta` / `message_stop`; the answer ends
 * with `message_stop`.
 */
const anthropicMessages: StreamShape = {
  matches: (chunk) => ANTHROPIC_EVENTS.has(chunk.type as string),
  isOutput(chunk) {
    const type = chunk.type;
    if (type === 'message_delta' || type === 'message_stop') return true;
    return (
      type === 'content_block_delta' &&
      ANTHROPIC_OUTPUT_DELTAS.has(field(chunk.delta, 'type') as string)
    );
  },
  endsAnswer: (chunk) => chunk.type === 'message_stop',
};

/** A Gemini part that is output: anything but a thought. */
const isGeminiOutputPart = (part: unknown): boolean =>
  typeof part === 'object' && part !== null && field(part, 'thought') !== true;

/**
 * Gemini `GenerateContentResponse` chunks (`generateContentStream`): output is a candidate part
 * that is not a thought; a candidate with a `finishReason`, or a prompt blocked
 * (`promptFeedback.blockReason`), ends the answer.
 */
const gemini: StreamShape = {
  matches: (chunk) =>
    Array.isArray(chunk.candidates) ||
    (typeof chunk.promptFeedback === 'object' && chunk.promptFeedback !== null),
  isOutput: (chunk) =>
    gemini.endsAnswer(chunk) ||
    listOf(chunk.candidates).some((candidate) =>
      listOf(field(field(candidate, 'content'), 'parts')).some(isGeminiOutputPart),
    ),
  endsAnswer: (chunk) =>
    field(chunk.promptFeedback, 'blockReason') != null ||
    listOf(chunk.candidates).some((candidate) => field(candidate, 'finishReason') != null),
};

/** AI SDK `fullStream` parts that are lifecycle or thinking, never output. */
const AI_SDK_HELD = new Set([
  'start',
  'start-step',
  'step-start',
  'text-start',
  'text-end',
  'reasoning',
  'reasoning-start',
  'reasoning-delta',
  'reasoning-end',
  'reasoning-signature',
  'redacted-reasoning',
  'finish-step',
  'step-finish',
  'raw',
  'abort',
]);
/** AI SDK `fullStream` parts that are output. */
const AI_SDK_OUTPUT = new Set([
  'text-delta',
  'text',
  'tool-input-start',
  'tool-input-delta',
  'tool-input-end',
  'tool-call-streaming-start',
  'tool-call-delta',
  'tool-call',
  'tool-result',
  'tool-error',
  'source',
  'file',
]);

/**
 * Whether an AI SDK `finish` part tells that the provider finished: any but a `finish` with
 * `finishReason: 'unknown'` (AI SDK 4 and 5), or `'other'` without a `rawFinishReason` (AI SDK
 * 6), which is what the AI SDK emits when the provider's stream ended without its own end.
 */
function aiSdkFinished(chunk: Chunk): boolean {
  if (chunk.type !== 'finish') return false;
  const reason = chunk.finishReason;
  return !(reason === 'unknown' || (reason === 'other' && chunk.rawFinishReason === undefined));
}

/**
 * The Vercel AI SDK's `streamText` `fullStream` parts (AI SDK 4 to 6 names): output is text, a
 * tool call, a source or a file, not the lifecycle or reasoning parts; a `finish` part that the
 * provider's own end produced ends the answer (an `error` part throws, see `chunkError`).
 */
const aiSdkFullStream: StreamShape = {
  matches: (chunk) =>
    chunk.type === 'finish' ||
    AI_SDK_HELD.has(chunk.type as string) ||
    AI_SDK_OUTPUT.has(chunk.type as string),
  isOutput: (chunk) => AI_SDK_OUTPUT.has(chunk.type as string) || aiSdkFinished(chunk),
  endsAnswer: aiSdkFinished,
};

const BEDROCK_EVENTS = [
  'messageStart',
  'contentBlockStart',
  'contentBlockDelta',
  'contentBlockStop',
  'messageStop',
  'metadata',
] as const;

/**
 * AWS Bedrock `ConverseStream` events (`{ contentBlockDelta: ... }`, one member each): output is
 * a content delta that is not `reasoningContent`, or `messageStop`, which ends the answer.
 */
const bedrockConverse: StreamShape = {
  matches: (chunk) => chunk.type === undefined && BEDROCK_EVENTS.some((name) => name in chunk),
  isOutput(chunk) {
    if (chunk.messageStop !== undefined) return true;
    const delta = field(chunk.contentBlockDelta, 'delta');
    return (
      typeof delta === 'object' && delta !== null && field(delta, 'reasoningContent') === undefined
    );
  },
  endsAnswer: (chunk) => chunk.messageStop !== undefined,
};

const SHAPES: readonly StreamShape[] = [
  openAIResponses,
  openAIChat,
  anthropicMessages,
  aiSdkFullStream,
  gemini,
  bedrockConverse,
];

/** The known shape of `chunk`, or `undefined` for a chunk of any other shape. */
export function shapeOf(chunk: unknown): { shape: StreamShape; chunk: Chunk } | undefined {
  if (typeof chunk !== 'object' || chunk === null) return undefined;
  const object = chunk as Chunk;
  const shape = SHAPES.find((candidate) => candidate.matches(object));
  return shape === undefined ? undefined : { shape, chunk: object };
}

/**
 * The error an error chunk carries, for the guard to throw: the AI SDK's `{ type: 'error', error }`
 * part (its `error` when an Error, else a {@link StreamEventError} of it), or an `error` event
 * that reached the stream (a {@link StreamEventError} of the event itself when it carries no
 * `error`); `undefined` for any other chunk.
 */
export function chunkError(chunk: unknown): { error: unknown } | undefined {
  if (typeof chunk !== 'object' || chunk === null || (chunk as Chunk).type !== 'error') {
    return undefined;
  }
  const carried = (chunk as Chunk).error ?? chunk;
  return { error: carried instanceof Error ? carried : new StreamEventError(carried) };
}
