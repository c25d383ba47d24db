// Fall back to a cheaper model when the main one is down: createFallbackPolicy tries each model
// through a chat policy (and so a circuit breaker) of its own.
//
//   node --import tsx examples/fallback-model.ts
//
// Without OPENAI_API_KEY it runs against a fake OpenAI server on which gpt-4o answers 503
// (overloaded) and gpt-4o-mini answers normally. The first two questions each cost gpt-4o one
// request (a route that would wait before its retry moves on at once); that opens its breaker,
// so the third goes straight to gpt-4o-mini without sending gpt-4o anything. With OPENAI_API_KEY
// set, both models are real and the main one (OPENAI_MODEL, default gpt-4o) answers.
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import type OpenAI from 'openai';
import { createChatPolicy, createFallbackPolicy } from '../src/index.js';
import { replies } from '../src/testing/index.js';
import { openTarget } from './target.js';

const mainModel = process.env.OPENAI_MODEL ?? 'gpt-4o';
const cheaperModel = 'gpt-4o-mini';

const { client, fake, close } = await openTarget((request) =>
  request.model === mainModel
    ? replies.overloaded()
    : replies.ok({ content: 'An answer from the cheaper model.' }),
);

type Messages = OpenAI.ChatCompletionMessageParam[];
const completion = (model: string) => (messages: Messages, context: { signal: AbortSignal }) =>
  client.chat.completions.create({ model, messages }, { signal: context.signal });

// One policy per model: an outage of one model opens only its own breaker.
const mainPolicy = createChatPolicy({
  name: `chat:${mainModel}`,
  circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 30_000 },
});
const ask = createFallbackPolicy<Messages, OpenAI.ChatCompletion>({
  name: 'ask',
  routes: [
    { name: mainModel, policy: mainPolicy, call: completion(mainModel) },
    {
      name: cheaperModel,
      policy: createChatPolicy({ name: `chat:${cheaperModel}` }),
      call: completion(cheaperModel),
    },
  ],
});

ask.events.on('fallback', (e) => {
  console.error(`[fallback] ${e.from} -> ${e.to} (${e.reason.kind})`);
});
mainPolicy.events.on('break', (e) => {
  console.error(`[break] ${e.policy} is open for ${e.openMs} ms after ${e.reason?.kind} errors`);
});

try {
  for (const question of ['What is a circuit breaker?', 'And a bulkhead?', 'And a fallback?']) {
    const { value, route } = await ask.execute([{ role: 'user', content: question }]);
    console.log(`${route} answered: ${value.choices[0]?.message.content ?? ''}`);
  }
  if (fake) {
    const sentTo = (model: string) => fake.requests.filter((r) => r.model === model).length;
    console.log(
      `requests: ${sentTo(mainModel)} to ${mainModel}, ${sentTo(cheaperModel)} to ${cheaperModel}`,
    );
  }
} finally {
  await close();
}
