// An Anthropic Messages stream written to stdout as it arrives, through the streamPolicy preset.
//
//   node --import tsx examples/anthropic-stream.ts
//
// It runs against the fake server speaking Anthropic's wire format. The first attempt gets
// message_start and then an `overloaded_error` event, a common Anthropic failure after a 200:
// nothing was said yet (message_start is not the first token, the first text delta is), so the
// policy retries it. The second attempt streams the answer; had it been cut before message_stop,
// the loop would throw instead of ending with half an answer.
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import Anthropic from '@anthropic-ai/sdk';
import { classifyOpenAIError, StreamInterruptedError, streamPolicy } from '../src/index.js';
import { replies, startFakeOpenAI } from '../src/testing/index.js';

const fake = await startFakeOpenAI({
  script: [
    replies.stream({ chunks: ['lost'], errorAfter: 0 }),
    replies.stream({
      chunks: ['Claude ', 'streams, ', 'the policy ', 'guards.'],
      chunkDelayMs: 30,
    }),
  ],
});
// maxRetries: 0, the policy owns retries.
const client = new Anthropic({ apiKey: 'fake-key', baseURL: fake.origin, maxRetries: 0 });

streamPolicy.events.on('retry', (e) => {
  console.error(`[retry] attempt ${e.attempt} failed (${e.reason.kind}), next in ${e.delayMs} ms`);
});
streamPolicy.events.on('streamEnd', (e) => {
  console.error(`[streamEnd] ${e.outcome}: ${e.chunks} events`);
});

try {
  const stream = await streamPolicy.execute(({ signal }) =>
    client.messages.create(
      {
        model: 'claude-sonnet-4-20250514',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'One sentence about streams.' }],
        stream: true,
      },
      { signal }, // how timeouts, aborts and an early break close the connection
    ),
  );
  for await (const event of stream) {
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
      process.stdout.write(event.delta.text);
    }
  }
  process.stdout.write('\n');
} catch (error) {
  const delivered = error instanceof StreamInterruptedError ? ` after ${error.chunks} events` : '';
  console.error(`\nstream failed${delivered}: ${classifyOpenAIError(error).kind}`);
  process.exitCode = 1;
} finally {
  await fake.close();
}
