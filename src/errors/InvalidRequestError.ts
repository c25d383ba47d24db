/** One thing wrong with a request: where (`messages[2].role`) and what. */
export interface RequestProblem {
  /** The field's path in the request, e.g. `messages[2].role`, `temperature`, `(request)`. */
  readonly path: string;
  /** What is wrong, without the field's content (e.g. `must be a string or an array of content parts, got number`). */
  readonly problem: string;
}

/**
 * Thrown by `validateChatRequest` before a request is sent, listing every problem found. Classified
 * as kind `bad_request`: never retried, never a circuit-breaker failure.
 */
export class InvalidRequestError extends Error {
  /** Always `'InvalidRequestError'`. */
  override readonly name = 'InvalidRequestError';
  /** Marks errors made by this toolkit, so classification works across copies of the package. */
  readonly isLlmResilienceInvalidRequest = true;
  /** Every problem found, in request order. */
  readonly problems: readonly RequestProblem[];

  constructor(problems: readonly RequestProblem[]) {
    const list = problems.map(({ path, problem }) => `${path}: ${problem}`).join('; ');
    super(`Invalid chat request: ${list}`);
    this.problems = Object.freeze([...problems]);
  }
}
