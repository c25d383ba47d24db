import { GoogleGenAI } from '@google/genai';
import { describeProviderErrors, toFakeServer } from './providerFixtures.js';

const clients = {
  'Gemini API': (fetch: typeof globalThis.fetch, baseUrl: string) =>
    new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl, fetch } }),
  'Vertex AI': (fetch: typeof globalThis.fetch, baseUrl: string) =>
    new GoogleGenAI({ vertexai: true, apiKey: 'vertex-test-key', httpOptions: { baseUrl, fetch } }),
};

for (const [label, client] of Object.entries(clients)) {
  describeProviderErrors(`@google/genai (${label})`, 'google-errors.json', (fake) =>
    client(toFakeServer(fake), fake.baseURL).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello',
    }),
  );
}
