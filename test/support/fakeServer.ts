import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../../src/testing/index.js';

/** The fake OpenAI server of a test file and a real openai client on it (no SDK retries). */
export interface FakeOpenAITarget {
  readonly server: FakeOpenAI;
  readonly client: OpenAI;
}

/**
 * Starts a fake OpenAI server before the file's tests and closes it after them, clearing its
 * recorded requests before each test; `server` and `client` are set once the tests run.
 */
export function useFakeOpenAI(): FakeOpenAITarget {
  const target = {} as { server: FakeOpenAI; client: OpenAI };
  beforeAll(async () => {
    target.server = await startFakeOpenAI();
    target.client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: target.server.baseURL,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await target.server?.close();
  });
  beforeEach(() => {
    target.server.requests.length = 0;
  });
  return target;
}
