import Anthropic from '@anthropic-ai/sdk';
import { describeProviderErrors, toFakeServer } from './providerFixtures.js';

describeProviderErrors('@anthropic-ai/sdk', 'anthropic-errors.json', (fake) =>
  new Anthropic({
    apiKey: 'sk-ant-test-key',
    baseURL: fake.baseURL.replace(/\/v1$/, ''),
    maxRetries: 0,
    fetch: toFakeServer(fake),
  }).messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'Hello' }],
  }),
);
