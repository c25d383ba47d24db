import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import type { FakeOpenAI } from '../../src/testing/index.js';
import { describeProviderErrors, toFakeServer } from './providerFixtures.js';

/** The AI SDK model for a case: `via` names the provider package. */
function modelFor(fake: FakeOpenAI, via: string | undefined) {
  const options = { apiKey: 'ai-sdk-test-key', fetch: toFakeServer(fake) };
  if (via === 'anthropic') return createAnthropic(options)('claude-sonnet-5-5');
  if (via === 'google') return createGoogleGenerativeAI(options)('gemini-2.5-flash');
  return createOpenAI({ ...options, baseURL: fake.baseURL }).chat('gpt-4o-mini');
}

describeProviderErrors('ai (generateText)', 'vercel-ai-errors.json', (fake, fixture) =>
  generateText({
    model: modelFor(fake, fixture.via),
    prompt: 'Hello',
    maxRetries: (fixture.requests ?? 1) - 1,
  }),
);
