import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createFallbackPolicy } from '../src/pipeline/LlmFallbackPolicy.js';
import { createChatPolicy } from '../src/policies/chat.js';
import type { ClientFactory } from './clients.js';

const MESSAGES = [{ role: 'user' as const, content: 'Say hi.' }];

/** A fallback client and the count of calls each route answered, over all its trials. */
export interface FallbackBenchClient {
  readonly factory: ClientFactory;
  readonly answeredBy: Map<string, number>;
}

/**
 * This package's fallback policy: each call goes to the bench's server through the openai SDK
 * with the chat preset, and falls back to an Anthropic-shaped server (`secondaryOrigin`) through
 * the Anthropic SDK with a chat preset of its own. Policies are built fresh for each server.
 */
export function fallbackClient(name: string, secondaryOrigin: string): FallbackBenchClient {
  const answeredBy = new Map<string, number>();
  const factory: ClientFactory = {
    name,
    create(baseURL) {
      const openai = new OpenAI({ baseURL, apiKey: 'sk-bench-not-a-real-key', maxRetries: 0 });
      const anthropic = new Anthropic({
        baseURL: secondaryOrigin,
        apiKey: 'sk-ant-bench-not-a-real-key',
        maxRetries: 0,
      });
      const policy = createFallbackPolicy<string, unknown>({
        name,
        routes: [
          {
            name: 'openai',
            policy: createChatPolicy({ name: 'openai' }),
            call: (model, { signal }) =>
              openai.chat.completions.create({ model, messages: MESSAGES }, { signal }),
          },
          {
            name: 'anthropic',
            policy: createChatPolicy({ name: 'anthropic' }),
            call: (model, { signal }) =>
              anthropic.messages.create({ model, max_tokens: 64, messages: MESSAGES }, { signal }),
          },
        ],
      });
      return {
        async chat(model, signal) {
          const { route } = await policy.execute(model, signal);
          answeredBy.set(route, (answeredBy.get(route) ?? 0) + 1);
        },
        stream() {
          return Promise.reject(new TypeError(`${name}: the fallback bench sends no streams`));
        },
      };
    },
  };
  return { factory, answeredBy };
}
