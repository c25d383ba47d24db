import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describeProviderErrors } from './providerFixtures.js';

describeProviderErrors('@aws-sdk/client-bedrock-runtime', 'bedrock-errors.json', (fake) => {
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: fake.baseURL,
    credentials: { accessKeyId: 'AKIDTESTKEY', secretAccessKey: 'test-secret-key' },
    maxAttempts: 1,
    // The client speaks HTTP/2 by default (for its bidirectional streams); the fake server HTTP/1.1.
    requestHandler: new NodeHttpHandler(),
  });
  // The fake server answers on its chat completions path; Bedrock's own is /model/ID/converse.
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as { path: string }).path = '/v1/chat/completions';
      return next(args);
    },
    { step: 'build' },
  );
  return client.send(
    new ConverseCommand({
      modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
    }),
  );
});
