import { describeValue } from '../describeValue.js';

/** What a finished answer of each API is called, by its `object` field. */
const FINISHED_ANSWERS: ReadonlyMap<unknown, string> = new Map([
  ['chat.completion', 'a chat completion'],
  ['response', 'a Responses API response'],
]);

/**
 * The TypeError for a stream source that is not an async iterable. A finished chat completion or
 * Responses API response (the request was sent without `stream: true`, and billed) is named as
 * such: `got a chat completion, not a stream: did you forget \`stream: true\`?`.
 */
export function notAStreamError(source: unknown): TypeError {
  const object = (source as { object?: unknown } | null | undefined)?.object;
  const answer = FINISHED_ANSWERS.get(object);
  if (answer !== undefined) {
    return new TypeError(`got ${answer}, not a stream: did you forget \`stream: true\`?`);
  }
  return new TypeError(`source must be an AsyncIterable, got ${describeValue(source)}`);
}
