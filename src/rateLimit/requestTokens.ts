import { atLeastZero, checkResult } from '../validate.js';

/** A request's token cost as estimated from its JSON body: the prompt, and the completion's cap. */
export interface RequestTokens {
  /** The prompt's tokens (messages, system prompt, input). */
  input: number;
  /** The completion's tokens at most: `max_tokens` or its equivalent, 0 when the body sets none. */
  output: number;
}

/** Counts the tokens of a text, e.g. with a real tokenizer: `(text) => encode(text).length`. */
export type CountTokens = (text: string) => number;

/** Characters per token of the default count: OpenAI's rule of thumb for English text. */
const CHARS_PER_TOKEN = 4;

/** Bodies longer than this are not parsed (a prompt of millions of characters is no chat call). */
const MAX_BODY_LENGTH = 8_000_000;

/** How deep the prompt fields are walked, and how many values at most. */
const MAX_DEPTH = 12;
const MAX_VALUES = 100_000;

/**
 * The fields that hold prompt text, in the request bodies of OpenAI (chat `messages`, Responses
 * `input` and `instructions`, completions `prompt`, embeddings `input`), Anthropic (`system`,
 * `messages`, content blocks' `text`) and Gemini (`contents`, `systemInstruction`, `parts`).
 * Images, files and other binary fields are left out.
 */
const PROMPT_FIELDS: ReadonlySet<string> = new Set([
  'messages',
  'content',
  'text',
  'system',
  'input',
  'instructions',
  'prompt',
  'contents',
  'parts',
  'systemInstruction',
  'arguments',
  'output',
  'thinking',
]);

/** The fields that cap the completion: OpenAI's, the Responses API's, Anthropic's, Gemini's. */
const OUTPUT_CAPS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The default {@link CountTokens}: a token per 4 characters, rounded up. */
export const countTokensByLength: CountTokens = (text) => Math.ceil(text.length / CHARS_PER_TOKEN);

/** Collects the prompt's strings under the prompt fields, depth-first, within the bounds. */
function promptTexts(body: Record<string, unknown>): string[] {
  const texts: string[] = [];
  let visited = 0;
  const walk = (value: unknown, depth: number): void => {
    if (++visited > MAX_VALUES || depth > MAX_DEPTH) return;
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const item of value) walk(item, depth + 1);
    else if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        if (PROMPT_FIELDS.has(key)) walk(value[key], depth + 1);
      }
    }
  };
  for (const key of Object.keys(body)) {
    if (PROMPT_FIELDS.has(key)) walk(body[key], 1);
  }
  return texts;
}

/** The completion's cap in `body`, 0 when it sets none. */
function outputCap(body: Record<string, unknown>): number {
  for (const name of OUTPUT_CAPS) {
    const cap = body[name];
    if (Number.isFinite(cap) && (cap as number) >= 0) return cap as number;
  }
  const gemini = isRecord(body.generationConfig)
    ? body.generationConfig.maxOutputTokens
    : undefined;
  return Number.isFinite(gemini) && (gemini as number) >= 0 ? (gemini as number) : 0;
}

/**
 * The token cost of an LLM request from its JSON body (a string, as the SDKs send it): the
 * prompt's text counted by `countTokens` (default: a token per 4 characters) and the completion's
 * cap (`max_tokens`, `max_completion_tokens`, `max_output_tokens`, Gemini's
 * `generationConfig.maxOutputTokens`; 0 when none). `undefined` for a body that is not a JSON
 * object. Throws a TypeError naming `rateLimit.countTokens` when it returns anything but a
 * finite number >= 0.
 */
export function estimateRequestTokens(
  body: unknown,
  countTokens: CountTokens = countTokensByLength,
): RequestTokens | undefined {
  if (typeof body !== 'string' || body.length > MAX_BODY_LENGTH) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const texts = promptTexts(parsed);
  const input = texts.length === 0 ? 0 : countTokens(texts.join('\n'));
  checkResult('rateLimit.countTokens', input, atLeastZero);
  return { input, output: outputCap(parsed) };
}
