import { estimateTokens, newId, type StreamFrames } from './openAIBodies.js';

type Json = Record<string, unknown>;

/** One server-sent event as Gemini sends it: a `data:` line ended by CRLF CRLF. */
const geminiEvent = (data: unknown) => `data: ${JSON.stringify(data)}\r\n\r\n`;

function response(model: string, body: Json, part: Json, finishReason?: string): Json {
  const promptTokens = estimateTokens(body.contents);
  const text = part.text;
  const candidate: Json = { content: { parts: [part], role: 'model' }, index: 0 };
  if (finishReason !== undefined) candidate.finishReason = finishReason;
  return {
    candidates: [candidate],
    usageMetadata: {
      promptTokenCount: promptTokens,
      candidatesTokenCount: estimateTokens(text),
      totalTokenCount: promptTokens + estimateTokens(text),
    },
    modelVersion: model,
    responseId: newId(''),
  };
}

/** The JSON body of a successful Gemini `generateContent` answer with `content`, from `model`. */
export function geminiResponse(model: string, body: Json, content: string): Json {
  return response(model, body, { text: content }, 'STOP');
}

/**
 * The SSE frames of a Gemini `streamGenerateContent?alt=sse` stream: one chunk of a
 * `thought: true` part per entry of `thinking`, one `GenerateContentResponse` per chunk, then one with `finishReason: STOP`; its error is the
 * `{ error: { code: 503, status: 'UNAVAILABLE' } }` event Gemini sends mid-stream.
 */
export function geminiFrames(model: string, body: Json, thinking: readonly string[]): StreamFrames {
  return {
    head: thinking.map((text) => geminiEvent(response(model, body, { text, thought: true }))),
    chunk: (text) => geminiEvent(response(model, body, { text })),
    tail: [geminiEvent(response(model, body, { text: '' }, 'STOP'))],
    error: geminiEvent({
      error: {
        code: 503,
        message: 'The model is overloaded. Please try again later.',
        status: 'UNAVAILABLE',
      },
    }),
  };
}
