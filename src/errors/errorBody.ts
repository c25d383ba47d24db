import { asObject, readField, readString } from './errorShape.js';

/** Longer body texts are not parsed (a real error body is well under a kilobyte). */
const MAX_BODY_TEXT = 65_536;

/** How far into a text its JSON may start (`got status: UNAVAILABLE. {...}`). */
const MAX_JSON_START = 200;

/** The JSON object in `text` (from its first `{`), or `undefined`; at most 64 KiB are parsed. */
export function jsonInText(text: unknown): object | undefined {
  if (typeof text !== 'string' || text.length > MAX_BODY_TEXT) return undefined;
  const start = text.indexOf('{');
  if (start === -1 || start > MAX_JSON_START) return undefined;
  try {
    return asObject(JSON.parse(text.slice(start)));
  } catch {
    return undefined;
  }
}

/**
 * The parsed error body an error carries, wherever its SDK keeps it: the Stainless SDKs'
 * `error` field (openai, Anthropic, Groq), the AI SDK's `responseBody` text or `data`, the
 * Speakeasy SDKs' `body` text (Mistral), or the JSON text that `@google/genai`'s `ApiError`
 * has as its message.
 */
export function readErrorBody(value: object, sdkShape: boolean): object | undefined {
  if (sdkShape) return asObject(readField(value, 'error'));
  return (
    jsonInText(readField(value, 'responseBody')) ??
    asObject(readField(value, 'data')) ??
    jsonInText(readField(value, 'body')) ??
    (readString(value, 'name') === 'ApiError' ? jsonInText(readField(value, 'message')) : undefined)
  );
}

/**
 * The error object inside a body: `body.error` when it is one (OpenAI, Anthropic, Google wrap
 * it so), else the body itself (the openai SDK keeps `body.error` already; Mistral's is flat).
 */
export function errorPayload(body: object | undefined): object | undefined {
  return asObject(readField(body, 'error')) ?? body;
}
