import type { ErrorProvider } from './ErrorClassification.js';
import { readField, readHeader, readString } from './errorShape.js';

/** How many prototypes up the chain the base class names are looked for. */
const MAX_PROTOTYPE_DEPTH = 8;

/** The root error class of each SDK whose errors extend one, by its name. */
const PROVIDER_BY_ROOT_CLASS: ReadonlyMap<string | undefined, ErrorProvider> = new Map([
  ['AnthropicError', 'anthropic'],
  ['GroqError', 'groq'],
  ['MistralError', 'mistral'],
  ['OpenAIError', 'openai'],
]);

/** The class names of `value`'s prototype chain, nearest first. */
function classNames(value: object): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  let current: unknown = value;
  for (let depth = 0; depth < MAX_PROTOTYPE_DEPTH; depth++) {
    try {
      current = Object.getPrototypeOf(current);
    } catch {
      break;
    }
    if (current === null || current === Object.prototype) break;
    names.push(readString(readField(current, 'constructor'), 'name'));
  }
  return names;
}

/** Azure OpenAI marks its answers with APIM headers and its content filter with `innererror`. */
function isAzure(headers: unknown, payload: unknown): boolean {
  return (
    readHeader(headers, 'apim-request-id') !== undefined ||
    readHeader(headers, 'x-ms-region') !== undefined ||
    readField(payload, 'innererror') !== undefined
  );
}

/**
 * The SDK family of an error, told by its shape: the root class of the Stainless and Speakeasy
 * SDKs' errors (`OpenAIError`, `AnthropicError`, `GroqError`, `MistralError`), the AI SDK's
 * `AI_` names, Bedrock's `$metadata` and `$fault`, Google's `ApiError` with a gRPC status in
 * its body. `undefined` when the shape tells nothing.
 */
export function errorProvider(
  value: object,
  headers: unknown,
  payload: unknown,
): ErrorProvider | undefined {
  for (const name of classNames(value)) {
    const provider = PROVIDER_BY_ROOT_CLASS.get(name);
    if (provider === 'openai' && isAzure(headers, payload)) return 'azure-openai';
    if (provider !== undefined) return provider;
  }
  const name = readString(value, 'name');
  if (name?.startsWith('AI_') === true) return 'vercel-ai';
  const fault = readField(value, '$fault');
  if ((fault === 'client' || fault === 'server') && readField(value, '$metadata') !== undefined) {
    return 'bedrock';
  }
  if (name === 'ApiError' && typeof readField(payload, 'status') === 'string') return 'google';
  return undefined;
}
