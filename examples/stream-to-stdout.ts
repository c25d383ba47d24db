// A streamed chat answer written to stdout as it arrives, through the streamPolicy preset.
//
//   node --import tsx examples/stream-to-stdout.ts
//
// Without OPENAI_API_KEY it runs against a fake OpenAI server that first answers 503 (overloaded)
// and then streams the answer word by word: the first attempt is retried, because it failed before
// the first token. Once a token has arrived the stream is never retried (that would repeat text);
// a stall or a dropped connection after it throws a classified error instead of ending silently.
// With OPENAI_API_KEY set it streams one real answer (model OPENAI_MODEL, default gpt-4o-mini).
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { classifyOpenAIError, StreamInterruptedError, streamPolicy } from '../src/index.js';
import { replies, schedules } from '../src/testing/index.js';
import { openTarget } from './target.js';

const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const { client, close } = await openTarget(
  schedules.sequence(
    replies.overloaded(),
    replies.stream({
      chunks: ['A stream ', 'either ', 'finishes ', 'or ', 'throws; ', 'it never ', 'just stops.'],
      chunkDelayMs: 40,
    }),
  ),
);

streamPolicy.events.on('retry', (e) => {
  console.error(`[retry] attempt ${e.attempt} failed (${e.reason.kind}), next in ${e.delayMs} ms`);
});
streamPolicy.events.on('firstToken', (e) => {
  console.error(`[firstToken] after ${e.latencyMs} ms, attempt ${e.attempt}`);
});
streamPolicy.events.on('streamEnd', (e) => {
  console.error(`[streamEnd] ${e.outcome}: ${e.chunks} chunks in ${e.durationMs} ms`);
});

try {
  // execute resolves at the first chunk; everything before it is retried like any call.
  const stream = await streamPolicy.execute(({ signal }) =>
    client.chat.completions.create(
      {
        model,
        messages: [{ role: 'user', content: 'One sentence about streams.' }],
        stream: true,
      },
      { signal },
    ),
  );
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  process.stdout.write('\n');
} catch (error) {
  // Before the first token, the error of the last attempt (already retried). After it, a
  // StreamInterruptedError telling how many chunks arrived; classifyOpenAIError sees through it
  // to its cause (an idle timeout, a dropped connection, the server's error event, an abort).
  const delivered = error instanceof StreamInterruptedError ? ` after ${error.chunks} chunks` : '';
  console.error(`\nstream failed${delivered}: ${classifyOpenAIError(error).kind}`);
  process.exitCode = 1;
} finally {
  await close();
}
