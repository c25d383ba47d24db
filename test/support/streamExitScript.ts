// Runs streams through the stream preset (its 5 min first-token, 60 s idle and 10 min total
// timeouts armed) and ends them every way a stream can end, prints "settled" and the outcomes,
// and returns without exiting: the process must then end by itself (no timer or handle left).
import OpenAI from 'openai';
import { createStreamPolicy, streamPolicy } from '../../src/policies/stream.js';
import { replies, startFakeOpenAI } from '../../src/testing/index.js';

const server = await startFakeOpenAI();
const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 });
const chat = ({ signal }: { signal: AbortSignal }) =>
  client.chat.completions.create(
    { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true },
    { signal },
  );
const quick = createStreamPolicy({
  retry: { initialDelayMs: 10, maxDelayMs: 20 },
  timeout: { firstTokenMs: 200, idleMs: 200 },
});

async function run(
  policy: typeof streamPolicy,
  script: Parameters<typeof server.setScript>[0],
  read: (stream: AsyncIterable<unknown>) => Promise<void> = async (stream) => {
    for await (const _ of stream);
  },
  signal?: AbortSignal,
): Promise<string> {
  server.setScript(script);
  try {
    await read(await policy.execute(chat, signal === undefined ? {} : { signal }));
    return 'ok';
  } catch {
    return 'failed';
  }
}

const caller = new AbortController();
const outcomes = [
  await run(streamPolicy, replies.stream()),
  await run(streamPolicy, replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 2 }), async (s) => {
    for await (const _ of s) break;
  }),
  await run(streamPolicy, replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 1 })),
  await run(streamPolicy, replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 1 })),
  await run(
    streamPolicy,
    replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }),
    async (s) => {
      setTimeout(() => caller.abort(), 50);
      for await (const _ of s);
    },
    caller.signal,
  ),
  await run(quick, [replies.stream({ stallAfter: 0 }), replies.stream()]),
  await run(quick, replies.stream({ chunks: ['a', 'b'], stallAfter: 1 })),
];
await server.close();
process.stdout.write(`settled ${outcomes.join(',')}\n`);
