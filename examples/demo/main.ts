// `npm run demo`: the package's main job. It starts the fake OpenAI server with a scripted story
// of failures and runs chatPolicy and streamPolicy through the real openai client against it,
// printing the policies' events as they happen and a summary at the end; the last chapter falls
// back to an Anthropic-shaped fake server through the real Anthropic client. No API key needed.
// `npm run demo -- --live` sends one real chat call through chatPolicy (needs OPENAI_API_KEY).
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pc from 'picocolors';
import {
  chatPolicy,
  createChatPolicy,
  createFallbackPolicy,
  createStreamPolicy,
  logEvents,
} from '../../src/index.js';
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

  chapter(
    '6. Fallback: the OpenAI-shaped server is down for 1.5 s, an Anthropic-shaped one answers',
  );
  say(
    'Each call tries gpt-4o-mini first, then claude; while its breaker is open, gpt-4o-mini is ' +
      'skipped without a request, and its half-open trial brings the traffic back.',
  );
  const anthropicServer = await startFakeOpenAI();
  const anthropic = new Anthropic({
    apiKey: 'sk-ant-demo',
    baseURL: anthropicServer.origin,
    maxRetries: 0,
  });
  const openaiRoute = createChatPolicy({
    name: 'openai',
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 800 },
  });
  const routeTally = watch(openaiRoute.events);
  for (const name of ['giveUp', 'failure'] as const) routeTally.quiet.add(name);
  const fallback = createFallbackPolicy<string, unknown>({
    name: 'ask',
    routes: [
      { name: 'gpt-4o-mini', policy: openaiRoute, call: (_input, { signal }) => ask(signal) },
      {
        name: 'claude',
        policy: createChatPolicy({ name: 'anthropic' }),
        call: (content, { signal }) =>
          anthropic.messages.create(
            {
              model: 'claude-sonnet-4-20250514',
              max_tokens: 64,
              messages: [{ role: 'user', content }],
            },
            { signal },
          ),
      },
    ],
  });
  watch(fallback.events);
  server.setScript(schedules.failFor(1_500, replies.serverError()));
  const answeredBy: Record<string, number> = {};
  const fallbackResult = await runCalls('fallback', server, routeTally, 40, 100, async () => {
    const { route } = await fallback.execute('Hello!');
    answeredBy[route] = (answeredBy[route] ?? 0) + 1;
  });
  say(
    `answered by: ${Object.entries(answeredBy)
      .map(([route, n]) => `${route} ${n}`)
      .join(
        ', ',
      )}; ${anthropicServer.requests.length} request(s) reached the Anthropic-shaped server`,
  );
  results.push({ ...fallbackResult, outcomes: answeredBy });
  await anthropicServer.close();

  await server.close();
  printSummary(results);
}

if (process.argv.includes('--live')) await live();
else await story();
