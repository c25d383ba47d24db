// Where the examples send their requests: the real OpenAI API when OPENAI_API_KEY is set,
// otherwise a fake OpenAI server on 127.0.0.1 that answers from `script` (no key, no cost).
import OpenAI from 'openai';
import { type FakeOpenAI, type Script, startFakeOpenAI } from '../src/testing/index.js';

/** The client to call and, against the fake server, the server itself. */
export interface Target {
  /** An openai client with the SDK's own retries off (`maxRetries: 0`): the policy owns retries. */
  client: OpenAI;
  /** True when the requests go to the real API. */
  live: boolean;
  /** The fake server, when not live: `fake.requests` records every request it received. */
  fake: FakeOpenAI | undefined;
  /** Stops the fake server, if any. */
  close(): Promise<void>;
}

/** Connects to the real API when OPENAI_API_KEY is set, else to a fake server playing `script`. */
export async function openTarget(script: Script): Promise<Target> {
  if (process.env.OPENAI_API_KEY) {
    return {
      client: new OpenAI({ maxRetries: 0 }),
      live: true,
      fake: undefined,
      close: async () => {},
    };
  }
  const fake = await startFakeOpenAI({ script });
  const client = new OpenAI({ apiKey: 'fake-key', baseURL: fake.baseURL, maxRetries: 0 });
  return { client, live: false, fake, close: () => fake.close() };
}
