import type { RateLimitGate } from './RateLimitGate.js';
import { parseRateLimitHeaders } from './rateLimitHeaders.js';
import { type CountTokens, estimateRequestTokens } from './requestTokens.js';

/**
 * A `fetch` as the SDKs take it (`new OpenAI({ fetch })`, `new Anthropic({ fetch })`, the AI
 * SDK's `createOpenAI({ fetch })`): WHATWG fetch's signature.
 */
export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/** The request body, when it is a string (the SDKs send their JSON bodies as strings). */
function bodyText(init: RequestInit | undefined): string | undefined {
  const body = init?.body;
  return typeof body === 'string' ? body : undefined;
}

/**
 * A `fetch` that sends every request unchanged through `globalThis.fetch` (read at each call)
 * and tells `gate` about it: its token estimate from the JSON body (the prompt counted by
 * `countTokens`, default a token per 4 characters, plus `max_tokens`), then the reply's
 * rate-limit headers (see `parseRateLimitHeaders`), so the gate holds its callers before a 429
 * rather than after one. It never delays, retries or alters a request, and never reads a response
 * body: the response is returned as it came. A failed fetch rejects with its own error.
 * Without a gate, it is `globalThis.fetch` itself, called as is.
 */
export function gateFetch(
  gate: RateLimitGate | undefined,
  countTokens?: CountTokens,
): FetchFunction {
  if (gate === undefined) return (input, init) => globalThis.fetch(input, init);
  return async (input, init) => {
    const request = gate.requestSent(estimateRequestTokens(bodyText(init), countTokens));
    let response: Response;
    try {
      response = await globalThis.fetch(input, init);
    } catch (error) {
      gate.onReply(request, undefined);
      throw error;
    }
    gate.onReply(request, {
      ok: response.status >= 200 && response.status < 300,
      limits: parseRateLimitHeaders(response.headers),
    });
    return response;
  };
}
