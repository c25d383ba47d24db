// A Gemini stream (@google/genai generateContentStream) written to stdout, through the
// streamPolicy preset.
//
//   node --import tsx examples/gemini-stream.ts
//
// It runs against the fake server speaking Gemini's wire format. The first attempt sends a 503
// UNAVAILABLE error chunk before any text: it is retried. The second sends two chunks and then the
// server closes the connection cleanly, without a finishReason: the Gemini SDK would just end, and
// the caller would print half an answer as if it were whole. Through the policy the loop throws.
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { GoogleGenAI } from '@google/genai';
import { classifyOpenAIError, StreamInterruptedError, streamPolicy } from '../src/index.js';
import { replies, startFakeOpenAI } from '../src/testing/index.js';

const fake = await startFakeOpenAI({
  script: [
    replies.stream({ chunks: ['lost'], errorAfter: 0 }),
    replies.stream({ chunks: ['Half ', 'an ', 'answer ', 'is not an answer.'], cutAfter: 2 }),
  ],
});
const client = new GoogleGenAI({ apiKey: 'fake-key', httpOptions: { baseUrl: fake.origin } });

streamPolicy.events.on('retry', (e) => {
  console.error(`[retry] attempt ${e.attempt} failed (${e.reason.kind}), next in ${e.delayMs} ms`);
});

try {
  const stream = await streamPolicy.execute(({ signal }) =>
    client.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'One sentence about streams.',
      config: { abortSignal: signal }, // how timeouts, aborts and an early break close it
    }),
  );
  for await (const chunk of stream) process.stdout.write(chunk.text ?? '');
  process.stdout.write('\n');
} catch (error) {
  const delivered = error instanceof StreamInterruptedError ? ` after ${error.chunks} chunks` : '';
  console.error(`\nstream failed${delivered}: ${classifyOpenAIError(error).kind}`);
} finally {
  await fake.close();
}
