import { describeProviderErrors } from './providerFixtures.js';
import {
  callAiSdk,
  callAnthropic,
  callAzureOpenAI,
  callBedrock,
  callGemini,
  callGroq,
  callMistral,
} from './sdkCalls.js';

describeProviderErrors('openai AzureOpenAI', 'azure-openai-errors.json', callAzureOpenAI);
describeProviderErrors('@anthropic-ai/sdk', 'anthropic-errors.json', callAnthropic);
describeProviderErrors('@google/genai (Gemini API)', 'google-errors.json', (fake) =>
  callGemini(fake),
);
describeProviderErrors('@google/genai (Vertex AI)', 'google-errors.json', (fake) =>
  callGemini(fake, true),
);
describeProviderErrors('ai (generateText)', 'vercel-ai-errors.json', (fake, fixture) =>
  callAiSdk(fake, fixture.via, fixture.requests),
);
describeProviderErrors('@aws-sdk/client-bedrock-runtime', 'bedrock-errors.json', callBedrock);
describeProviderErrors('@mistralai/mistralai', 'mistral-errors.json', callMistral);
describeProviderErrors('groq-sdk', 'groq-errors.json', callGroq);
