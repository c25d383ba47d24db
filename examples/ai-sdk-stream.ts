// The Vercel AI SDK's streamText through the streamPolicy preset, written to stdout.
//
//   node --import tsx examples/ai-sdk-stream.ts
//
// Stream `fullStream`, not `textStream`: on an error `textStream` just ends (the AI SDK logs the
// error and moves on), so a 503 becomes an empty answer. The policy reads `fullStream`, where the
// error is a part it throws (retried before the first token) and the end is the `finish` part.
// It runs against the fake OpenAI server: a 503 first, then the answer.
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import { classifyOpenAIError, StreamInterruptedError, streamPolicy } from '../src/index.js';
import { replies, startFakeOpenAI } from '../src/testing/index.js';

const fake = await startFakeOpenAI({
  script: [
    replies.overloaded(),
    replies.stream({ chunks: ['Read ', 'fullStream, ', 'keep ', 'the text.'], chunkDelayMs: 30 }),
  ],
});
const openai = createOpenAI({ apiKey: 'fake-key', baseURL: fake.baseURL });

streamPolicy.events.on('retry', (e) => {
  console.error(`[retry] attempt ${e.attempt} failed (${e.reason.kind}), next in ${e.delayMs} ms`);
});
streamPolicy.events.on('streamEnd', (e) => {
  console.error(`[streamEnd] ${e.outcome}: ${e.chunks} parts`);
});

try {
  const parts = await streamPolicy.execute(
    ({ signal }) =>
      streamText({
        model: openai.chat('gpt-4o-mini'),
        prompt: 'One sentence about streams.',
        abortSignal: signal, // how timeouts, aborts and an early break close the connection
        maxRetries: 0, // the policy owns retries
        onError: () => {}, // the policy gets the error; no console log of it by the AI SDK
      }).fullStream,
  );
  for await (const part of parts) {
    if (part.type === 'text-delta') process.stdout.write(part.text);
  }
  process.stdout.write('\n');
} catch (error) {
  const delivered = error instanceof StreamInterruptedError ? ` after ${error.chunks} parts` : '';
  console.error(`\nstream failed${delivered}: ${classifyOpenAIError(error).kind}`);
  process.exitCode = 1;
} finally {
  await fake.close();
}
