import { Mistral } from '@mistralai/mistralai';
import Groq from 'groq-sdk';
import { describeProviderErrors, toFakeServer } from './providerFixtures.js';

const messages = [{ role: 'user' as const, content: 'Hello' }];

describeProviderErrors('@mistralai/mistralai', 'mistral-errors.json', (fake) =>
  new Mistral({
    apiKey: 'mistral-test-key',
    serverURL: fake.baseURL.replace(/\/v1$/, ''),
    retryConfig: { strategy: 'none' },
  }).chat.complete({ model: 'mistral-small-latest', messages }),
);

describeProviderErrors('groq-sdk', 'groq-errors.json', (fake) =>
  new Groq({
    apiKey: 'gsk_test-key',
    baseURL: fake.baseURL,
    maxRetries: 0,
    fetch: toFakeServer(fake),
  }).chat.completions.create({ model: 'llama-3.3-70b-versatile', messages }),
);
