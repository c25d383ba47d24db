import { anthropicFrames, anthropicMessage } from './anthropicBodies.js';
import { geminiFrames, geminiResponse } from './geminiBodies.js';
import { type Endpoint, okBody, type StreamFrames, streamFrames } from './openAIBodies.js';

/** The endpoints the fake server answers: OpenAI's, Anthropic Messages and Gemini's. */
export type ProviderEndpoint = Endpoint | 'anthropic' | 'gemini';

/** What a request's method and path tell: the endpoint, and for Gemini the model and streaming. */
export interface Route {
  readonly endpoint: ProviderEndpoint;
  /** The model named in the path (Gemini). */
  readonly model?: string;
  /** Whether the path asks for a stream (Gemini's `streamGenerateContent`). */
  readonly stream?: boolean;
}

const PATHS: Readonly<Record<string, ProviderEndpoint>> = {
  '/v1/chat/completions': 'chat',
  '/v1/embeddings': 'embeddings',
  '/v1/responses': 'responses',
  '/v1/messages': 'anthropic',
};

const GEMINI_PATH =
  /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** The endpoint a POST to `path` reaches, or `undefined` (a 404). */
export function routeOf(method: string | undefined, path: string): Route | undefined {
  if (method !== 'POST') return undefined;
  const endpoint = PATHS[path];
  if (endpoint !== undefined) return { endpoint };
  const gemini = GEMINI_PATH.exec(path);
  if (gemini === null) return undefined;
  return {
    endpoint: 'gemini',
    model: gemini[1] as string,
    stream: gemini[2] === 'streamGenerateContent',
  };
}

type Json = Record<string, unknown>;

/** The JSON body of a successful answer with `content` on `endpoint`, from `model`. */
export function okBodyFor(
  endpoint: ProviderEndpoint,
  model: string | undefined,
  body: Json,
  content: string,
): Json {
  if (endpoint === 'anthropic') return anthropicMessage(body, content);
  if (endpoint === 'gemini') return geminiResponse(model ?? 'gemini-2.5-flash', body, content);
  return okBody(endpoint, body, content);
}

/**
 * The SSE frames of a streamed answer of `chunks` on `endpoint`, from `model`, after `thinking`
 * (Anthropic and Gemini only).
 */
export function streamFramesFor(
  endpoint: ProviderEndpoint,
  model: string | undefined,
  body: Json,
  chunks: readonly string[],
  thinking: readonly string[] = [],
): StreamFrames {
  if (endpoint === 'anthropic') return anthropicFrames(body, chunks, thinking);
  if (endpoint === 'gemini') return geminiFrames(model ?? 'gemini-2.5-flash', body, thinking);
  return streamFrames(endpoint, body, chunks);
}
