import type { ErrorKind } from './ErrorClassification.js';

/** Only the start of a message is searched; servers say what went wrong in the first sentence. */
const SEARCHED_LENGTH = 4096;

/**
 * Phrases of servers that send an input too long for the model as a plain 400: Anthropic ("prompt
 * is too long: 215000 tokens > 200000 maximum", "input length and `max_tokens` exceed context
 * limit"), Google ("The input token count (1200000) exceeds the maximum number of tokens
 * allowed"), Bedrock ("Input is too long for requested model"), vLLM and other
 * OpenAI-compatible servers ("This model's maximum context length is 4096 tokens").
 */
const CONTEXT_LENGTH_PHRASES = [
  'prompt is too long',
  'exceed context limit',
  'exceeds the maximum number of tokens',
  'input is too long',
  'too many input tokens',
  'maximum context length',
];

/** Phrases of an exhausted balance sent as a 400 (Anthropic's credit balance). */
const QUOTA_PHRASES = ['credit balance is too low'];

/**
 * The kind a server's error message names when its status and code say only "bad request":
 * `context_length` or `quota`, else `undefined`. Searches only the first 4096 characters, with
 * plain substring searches (linear time).
 */
export function kindInMessage(message: string | undefined): ErrorKind | undefined {
  if (message === undefined) return undefined;
  const text = message.slice(0, SEARCHED_LENGTH).toLowerCase();
  if (QUOTA_PHRASES.some((phrase) => text.includes(phrase))) return 'quota';
  if (CONTEXT_LENGTH_PHRASES.some((phrase) => text.includes(phrase))) return 'context_length';
  return undefined;
}
