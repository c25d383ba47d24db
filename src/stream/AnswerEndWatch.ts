import { RESPONSE_END_EVENTS } from './isFirstOutput.js';

/**
 * Whether `chunk` ends an OpenAI answer: `true` for a chat completion chunk with a
 * `finish_reason` and for the Responses API's `response.completed` / `response.failed` /
 * `response.incomplete`; `false` for any other chat completion chunk or Responses API event;
 * `undefined` for a chunk of another shape, which tells nothing.
 */
function endsAnswer(chunk: unknown): boolean | undefined {
  if (typeof chunk !== 'object' || chunk === null) return undefined;
  const { object, type, choices } = chunk as {
    object?: unknown;
    type?: unknown;
    choices?: unknown;
  };
  if (typeof type === 'string' && type.startsWith('response.')) {
    return RESPONSE_END_EVENTS.has(type);
  }
  if (object !== 'chat.completion.chunk') return undefined;
  return (
    Array.isArray(choices) &&
    choices.some((choice: { finish_reason?: unknown } | null) => choice?.finish_reason != null)
  );
}

/**
 * Watches a stream's chunks for the end of an OpenAI answer, to tell a stream that finished from
 * one the server closed early but cleanly (the openai SDK then just ends, as if complete). Only
 * streams of chat completion chunks or Responses API events are judged; any other stream is
 * taken as complete when it ends.
 */
export class AnswerEndWatch {
  #judged = false;
  #ended = false;

  /** Looks at the next chunk of the stream. */
  see(chunk: unknown): void {
    const ends = endsAnswer(chunk);
    if (ends === undefined) return;
    this.#judged = true;
    if (ends) this.#ended = true;
  }

  /** Whether the stream carried an OpenAI answer but not the chunk that ends it. */
  get cutShort(): boolean {
    return this.#judged && !this.#ended;
  }
}
