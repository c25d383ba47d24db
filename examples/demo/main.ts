// `npm run demo`: the package's main job. It starts the fake OpenAI server with a scripted story
// of failures and runs chatPolicy and streamPolicy through the real openai client against it,
// printing the policies' events as they happen and a summary at the end. No API key needed.
// `npm run demo -- --live` sends one real chat call through chatPolicy (needs OPENAI_API_KEY).
import OpenAI from 'openai';
import pc from 'picocolors';
import { chatPolicy, createChatPolicy, createStreamPolicy, logEvents } from '../../src/index.js';
import { replies, schedules, startFakeOpenAI } from '../../src/testing/index.js';
import { chapter, say, watch, write } from './eventLog.js';
import { type ChapterResult, printSummary, runCalls } from './summary.js';

async function live(): Promise<void> {
  if (!process.env.OPENAI_API_KEY) {
    console.error('npm run demo -- --live needs OPENAI_API_KEY in the environment.');
    process.exitCode = 2;
    return;
  }
  const client = new OpenAI({ maxRetries: 0 }); // the policy owns retries
  const stop = logEvents(chatPolicy, console);
  const reply = await chatPolicy.execute(({ signal }) =>
    client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in five words.' }] },
      { signal },
    ),
  );
  stop();
  console.log(reply.choices[0]?.message.content);
}

async function story(): Promise<void> {
  const server = await startFakeOpenAI();
  const client = new OpenAI({ apiKey: 'sk-demo', baseURL: server.baseURL, maxRetries: 0 });
  // The chat preset, with its breaker and timeouts shortened so the story fits in seconds.
  const chat = createChatPolicy({
    name: 'chat',
    timeout: { attemptMs: 1_000 },
    circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 800 },
  });
  const stream = createStreamPolicy({ name: 'stream', timeout: { idleMs: 1_000 } });
  const chatTally = watch(chat.events);
  const streamTally = watch(stream.events);
  const ask = (signal: AbortSignal) =>
    client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] },
      { signal },
    );
  const results: ChapterResult[] = [];

  chapter('1. A rate-limit storm: 60 calls at once into a 20 requests/s limit');
  say(
    'The server answers 429 with the exact wait; the gate learns the pace and holds every caller.',
  );
  chatTally.quiet.add('retry');
  server.setScript(schedules.tokenBucket({ ratePerSec: 20, burst: 10 }));
  results.push(
    await runCalls('rate-limit storm', server, chatTally, 60, 0, () =>
      chat.execute(({ signal }) => ask(signal)),
    ),
  );

  chapter('2. An outage: 503 overloaded for 2.5 s, one call every 100 ms');
  say('The breaker opens after 5 failures: calls wait instead of hammering the server.');
  say(
    "This demo shortens the breaker's open time to 800 ms so the story fits in seconds " +
      '(the chat preset opens for 1 s, doubling up to 60 s while the outage lasts).',
  );
  server.setScript(schedules.failFor(2_500, replies.overloaded()));
  results.push(
    await runCalls('503 outage', server, chatTally, 40, 100, () =>
      chat.execute(({ signal }) => ask(signal)),
    ),
  );
  chatTally.quiet.delete('retry');

  chapter('3. A request that hangs: the attempt timeout (1 s) cuts it and the retry succeeds');
  server.setScript(schedules.sequence(replies.hang(), replies.ok()));
  results.push(
    await runCalls('hanging request', server, chatTally, 1, 0, () =>
      chat.execute(({ signal }) => ask(signal)),
    ),
  );

  chapter('4. Out of quota: insufficient_quota is given back at once, never retried');
  server.setScript(replies.quota());
  results.push(
    await runCalls('insufficient quota', server, chatTally, 1, 0, () =>
      chat.execute(({ signal }) => ask(signal)),
    ),
  );

  chapter('5. A stream that stalls after 8 tokens: the idle timeout (1 s) ends it with an error');
  const words = 'Resilience means the answer either arrives whole or fails with a clear error.';
  server.setScript(
    replies.stream({ chunks: words.split(/(?= )/), stallAfter: 8, chunkDelayMs: 80 }),
  );
  results.push(
    await runCalls('stalled stream', server, streamTally, 1, 0, async () => {
      const tokens = await stream.execute(({ signal }) =>
        client.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }], stream: true },
          { signal },
        ),
      );
      write(`${' '.repeat(9)}${pc.dim('tokens:')} `);
      for await (const chunk of tokens) write(chunk.choices[0]?.delta?.content ?? '');
    }),
  );

  await server.close();
  printSummary(results);
}

if (process.argv.includes('--live')) await live();
else await story();
