// A chat call through the chatPolicy preset, with every policy event logged.
//
//   node --import tsx examples/chat-with-logging.ts
//
// Without OPENAI_API_KEY it runs against a fake OpenAI server that answers a 429 rate limit, then
// a 500, then the answer: the log shows the rate-limit gate closing, two retries and the success.
// With OPENAI_API_KEY set it sends one real request (model OPENAI_MODEL, default gpt-4o-mini).
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { chatPolicy, logEvents } from '../src/index.js';
import { replies, schedules } from '../src/testing/index.js';
import { openTarget } from './target.js';

const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const { client, fake, close } = await openTarget(
  schedules.sequence(
    replies.rateLimit({ retryAfterMs: 300 }),
    replies.serverError(),
    replies.ok({ content: 'Retries are cheap when they are paced.' }),
  ),
);

// The console gets one line per event, the message first and then the key fields, e.g.
//
//   llm-resilience chat: retry attempt=1 delayMs=300 kind=rate_limit status=429 ... - Rate limit...
//
// warnings and errors on stderr, info and debug (a success) on stdout. With pino instead (not
// installed here):
//
//   import pino from 'pino';
//   const stopLogging = logEvents(chatPolicy, pino({ level: 'debug' }));
//
// every event becomes one JSON line carrying the payload, the event's name and the message:
//
//   {"level":40,"time":1764046800000,"event":"retry","policy":"chat","attempt":1,"delayMs":300,
//    "reason":{"kind":"rate_limit","retryable":true,"breakerFailure":false,"status":429,...},
//    "msg":"llm-resilience chat: retry"}
const stopLogging = logEvents(chatPolicy, console);

try {
  const completion = await chatPolicy.execute(({ signal }) =>
    client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Say something about retries.' }] },
      { signal },
    ),
  );
  console.log(`answer: ${completion.choices[0]?.message.content ?? ''}`);
  if (fake) console.log(`requests that reached the server: ${fake.requests.length}`);
} finally {
  stopLogging();
  await close();
}
