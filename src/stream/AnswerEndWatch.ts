import { chunkError, shapeOf } from './streamShapes.js';

/**
 * Watches a stream's chunks for the end of its answer, to tell a stream that finished from one
 * the server closed early but cleanly (an SDK stream then just ends, as if complete), and throws
 * the error an error chunk carries (the AI SDK's `error` part). With `isAnswerEnd`, every chunk
 * is judged by it; otherwise a stream of a known shape (OpenAI chat or Responses, Anthropic
 * Messages, Gemini, the AI SDK's `fullStream`, Bedrock `ConverseStream`, see `isFirstOutput`)
 * is judged by its end chunk, and a stream of any other shape is taken as complete when it ends.
 */
export class AnswerEndWatch {
  #judged: boolean;
  #ended = false;
  readonly #isAnswerEnd: ((chunk: unknown) => boolean) | undefined;

  /** `isAnswerEnd`: the caller's test for the chunk that ends the answer, if any. */
  constructor(isAnswerEnd?: (chunk: never) => boolean) {
    this.#isAnswerEnd = isAnswerEnd as ((chunk: unknown) => boolean) | undefined;
    this.#judged = isAnswerEnd !== undefined;
  }

  /** Looks at the next chunk of the stream; throws the error an error chunk carries. */
  see(chunk: unknown): void {
    const failure = chunkError(chunk);
    if (failure !== undefined) throw failure.error;
    if (this.#ended) return;
    if (this.#isAnswerEnd !== undefined) {
      this.#ended = this.#isAnswerEnd(chunk);
      return;
    }
    const known = shapeOf(chunk);
    if (known === undefined) return;
    this.#judged = true;
    this.#ended = known.shape.endsAnswer(known.chunk);
  }

  /** Whether the stream carried an answer of a judged shape but not the chunk that ends it. */
  get cutShort(): boolean {
    return this.#judged && !this.#ended;
  }
}
