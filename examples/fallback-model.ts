// Fall back to a cheaper model when the main one is down: a cockatiel `fallback` wrapped around
// a chat policy of the main model, each model with a policy (and so a circuit breaker) of its own.
//
//   node --import tsx examples/fallback-model.ts
//
// Without OPENAI_API_KEY it runs against a fake OpenAI server on which gpt-4o answers 503
// (overloaded) and gpt-4o-mini answers normally. The first question costs gpt-4o two requests
// (one retry); that opens its breaker, so the next questions go straight to gpt-4o-mini without
// sending gpt-4o anything. With OPENAI_API_KEY set, both models are real and the main one
// (OPENAI_MODEL, default gpt-4o) answers.
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { BrokenCircuitError, fallback, handleWhen, wrap } from 'cockatiel';
import type OpenAI from 'openai';
import { classifyOpenAIError, createChatPolicy, type ErrorKind } from '../src/index.js';
import { replies } from '../src/testing/index.js';
import { openTarget } from './target.js';

const mainModel = process.env.OPENAI_MODEL ?? 'gpt-4o';
const cheaperModel = 'gpt-4o-mini';

const { client, fake, close } = await openTarget((request) =>
  request.model === mainModel
    ? replies.overloaded()
    : replies.ok({ content: 'An answer from the cheaper model.' }),
);

// One policy per model: an outage of one model opens only its own breaker. A call that may fall
// back should not wait long for the main model: one quick retry, and 10 s in all (an open
// breaker's wait counts against it, so while gpt-4o's breaker is open the call gives up at once).
const mainPolicy = createChatPolicy({
  name: `chat:${mainModel}`,
  retry: { maxRetries: 1, initialDelayMs: 100 },
  timeout: { attemptMs: 10_000, totalMs: 10_000 },
  circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 30_000 },
});
const cheaperPolicy = createChatPolicy({ name: `chat:${cheaperModel}` });

// The failures worth another model: the main one is unhealthy, slow or out of its own rate limit.
// Not a bad request, an auth error or an exhausted quota: the cheaper model would fail the same way.
const FALL_BACK_ON: ReadonlySet<ErrorKind> = new Set([
  'rate_limit',
  'server',
  'overloaded',
  'timeout',
  'connection',
]);
const mainModelDown = handleWhen(
  (error) =>
    error instanceof BrokenCircuitError || FALL_BACK_ON.has(classifyOpenAIError(error).kind),
);

mainPolicy.events.on('break', (e) => {
  console.error(`[break] ${e.policy} is open for ${e.openMs} ms after ${e.reason?.kind} errors`);
});

async function ask(question: string): Promise<OpenAI.ChatCompletion> {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
  const toCheaperModel = fallback(mainModelDown, () =>
    cheaperPolicy.execute(({ signal }) =>
      client.chat.completions.create({ model: cheaperModel, messages }, { signal }),
    ),
  );
  return wrap(toCheaperModel, mainPolicy).execute(({ signal }) =>
    client.chat.completions.create({ model: mainModel, messages }, { signal }),
  );
}

try {
  for (const question of ['What is a circuit breaker?', 'And a bulkhead?', 'And a fallback?']) {
    const completion = await ask(question);
    console.log(`${completion.model} answered: ${completion.choices[0]?.message.content ?? ''}`);
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
