import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type FakeOpenAI, type Script, startFakeOpenAI } from '../../src/testing/index.js';

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

/**
 * A fake OpenAI server per test, closed after it: `serve(script)` starts one (closing any earlier
 * one) and gives `chat`, one chat completion through a real openai client on it (no SDK retries)
 * that honours the signal.
 */
export function useScriptedChat() {
  let fake: FakeOpenAI | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  return async function serve(script: Script) {
    await fake?.close();
    fake = await startFakeOpenAI({ script });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const chat = ({ signal }: { signal: AbortSignal }) =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal },
      );
    return { server: fake, chat };
  };
}
