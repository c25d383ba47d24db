import Anthropic from '@anthropic-ai/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { replies } from '../../src/testing/index.js';
import {
  expectInterrupted,
  itGuardsProviderStream,
  quickStreamPolicy,
  readText,
  useFakeServer,
} from '../support/providerStreams.js';

const fake = useFakeServer();
let client: Anthropic;

beforeAll(() => {
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake().origin, maxRetries: 0 });
});

const request = {
  model: 'claude-sonnet-4-20250514',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'hi' }],
};
const messages = ({ signal }: { signal: AbortSignal }) =>
  client.messages.create({ ...request, stream: true }, { signal });

const textOf = (event: Anthropic.RawMessageStreamEvent) =>
  event.type === 'content_block_delta' && event.delta.type === 'text_delta'
    ? event.delta.text
    : undefined;

describe('streamPolicy with the real @anthropic-ai/sdk Messages stream', () => {
  itGuardsProviderStream({
    server: fake,
    open: messages,
    textOf,
    errorKind: 'overloaded',
    thinks: true,
  });

  it('delivers every event from message_start to message_stop', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b'] }));
    const { policy } = quickStreamPolicy();
    const types: string[] = [];
    const { error } = await readText(await policy.execute(messages), (event) => {
      types.push(event.type);
      return textOf(event);
    });
    expect(error).toBeUndefined();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });

  it('retries a stream cut cleanly after message_start, before any delta', async () => {
    fake().setScript([
      replies.stream({ chunks: ['lost'], cutAfter: 0 }),
      replies.stream({ chunks: ['fine'] }),
    ]);
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(await policy.execute(messages), textOf);
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(fake().requests).toHaveLength(2);
  });

  it('the overloaded_error event carries its type to the APIError thrown', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const { error } = await readText(await policy.execute(messages), textOf);
    const { cause } = expectInterrupted(error, 'overloaded');
    expect(cause).toBeInstanceOf(Anthropic.APIError);
    expect(String((cause as Error).message)).toContain('overloaded_error');
  });

  it('guards the SDK helper client.messages.stream() the same way', async () => {
    fake().setScript(replies.stream({ chunks: ['a', 'b', 'c'], cutAfter: 1 }));
    const { policy } = quickStreamPolicy();
    const stream = await policy.execute(({ signal }) =>
      client.messages.stream(request, { signal }),
    );
    const { text, error } = await readText(stream, textOf);
    expect(text).toEqual(['a']);
    expectInterrupted(error, 'connection');
  });
});
