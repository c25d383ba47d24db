import { describe, expect, it, vi } from 'vitest';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { replies } from '../../src/testing/index.js';
import { useFakeOpenAI } from '../support/fakeServer.js';
import { recordEvents } from '../support/pipeline.js';

const fake = useFakeOpenAI();

const FAST = { retry: { initialDelayMs: 10, maxDelayMs: 20 } };
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('a finished answer under streamPolicy (no `stream: true`)', () => {
  it('fails at once, naming a chat completion and the missing flag, without a retry', async () => {
    fake.server.setScript(replies.ok());
    const call = createStreamPolicy(FAST).execute(
      ({ signal }) =>
        fake.client.chat.completions.create({ model: 'gpt-test', messages }, { signal }) as never,
    );
    await expect(call).rejects.toThrow(
      new TypeError('got a chat completion, not a stream: did you forget `stream: true`?'),
    );
    expect(fake.server.requests).toHaveLength(1);
  });

  it('names a Responses API response the same way', async () => {
    fake.server.setScript(replies.ok());
    const call = createStreamPolicy(FAST).execute(
      ({ signal }) =>
        fake.client.responses.create({ model: 'gpt-test', input: 'hi' }, { signal }) as never,
    );
    await expect(call).rejects.toThrow(
      new TypeError('got a Responses API response, not a stream: did you forget `stream: true`?'),
    );
    expect(fake.server.requests).toHaveLength(1);
  });
});

describe('a stream under a policy that is not a stream policy', () => {
  it('is refused, pointing to streamPolicy: not retried, the connection closed', async () => {
    fake.server.setScript(replies.stream({ chunks: ['a', 'b', 'c'], stallAfter: 1 }));
    const policy = createChatPolicy(FAST);
    const events = recordEvents(policy);
    const call = policy.execute(({ signal }) =>
      fake.client.chat.completions.create(
        { model: 'gpt-test', messages, stream: true },
        { signal },
      ),
    );
    await expect(call).rejects.toThrow(/^got a stream, .*streamPolicy\.execute/);
    await expect(call).rejects.toBeInstanceOf(TypeError);
    expect(fake.server.requests).toHaveLength(1);
    await vi.waitFor(() => expect(fake.server.requests[0]?.clientClosed).toBe(true));
    expect(events.map(([name]) => name)).toEqual(['giveUp', 'failure']);
    expect(policy.circuitState).toBe('closed');
  });

  it('is refused by any policy, for a Responses API stream too', async () => {
    fake.server.setScript(replies.stream({ chunks: ['a'] }));
    const call = createPolicy().execute(({ signal }) =>
      fake.client.responses.create({ model: 'gpt-test', input: 'hi', stream: true }, { signal }),
    );
    await expect(call).rejects.toThrow(/^got a stream, .*streamPolicy\.execute/);
  });

  it('still resolves a page of a paginated list, which is async iterable but finished', async () => {
    const page = {
      data: [1, 2],
      getNextPage: () => Promise.resolve(undefined),
      async *[Symbol.asyncIterator]() {
        yield* [1, 2];
      },
    };
    await expect(createPolicy().execute(() => page)).resolves.toBe(page);
  });
});
