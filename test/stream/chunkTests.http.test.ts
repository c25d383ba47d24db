import { describe, expect, it } from 'vitest';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { StreamEndedEarlyError } from '../../src/stream/StreamEndedEarlyError.js';
import { replies } from '../../src/testing/index.js';
import {
  expectInterrupted,
  quickStreamPolicy,
  readText,
  useFakeServer,
} from '../support/providerStreams.js';

// A stream of a shape the package does not know: lines of text from a server of your own,
// `thinking: ...` first, then `text: ...`, then `[END]`.
const fake = useFakeServer();

const body = (...lines: string[]) =>
  replies.raw(200, lines.map((line) => `${line}\n`).join(''), { 'content-type': 'text/plain' });

/** The lines of the response to a POST on the fake server, as they arrive. */
async function* lines(signal: AbortSignal): AsyncGenerator<string> {
  const response = await fetch(`${fake().baseURL}/chat/completions`, {
    method: 'POST',
    body: '{}',
    signal,
  });
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffer += read.value;
    let end = buffer.indexOf('\n');
    while (end !== -1) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      end = buffer.indexOf('\n');
    }
  }
}

const chunkTests = {
  isFirstToken: (line: unknown) => String(line).startsWith('text:'),
  isAnswerEnd: (line: unknown) => line === '[END]',
};
const textOf = (line: string) => (line.startsWith('text:') ? line.slice(6) : undefined);

describe('createStreamPolicy with isFirstToken and isAnswerEnd for a shape of your own', () => {
  it('completes a stream that ends with its end line', async () => {
    fake().setScript(body('thinking: hm', 'text: Hello', 'text: there', '[END]'));
    const { policy, ends } = quickStreamPolicy(chunkTests);
    const { text, error } = await readText(
      await policy.execute(({ signal }) => lines(signal)),
      textOf,
    );
    expect(error).toBeUndefined();
    expect(text).toEqual(['Hello', 'there']);
    expect(ends()).toMatchObject([{ outcome: 'completed', chunks: 4 }]);
  });

  it('retries a stream cut after its thinking line: thinking does not commit the call', async () => {
    fake().setScript([body('thinking: hm'), body('text: fine', '[END]')]);
    const { policy } = quickStreamPolicy(chunkTests);
    const { text, error } = await readText(
      await policy.execute(({ signal }) => lines(signal)),
      textOf,
    );
    expect(error).toBeUndefined();
    expect(text).toEqual(['fine']);
    expect(fake().requests).toHaveLength(2);
  });

  it('fails a stream cut after its first text line, instead of ending silently', async () => {
    fake().setScript(body('thinking: hm', 'text: Hello'));
    const { policy } = quickStreamPolicy(chunkTests);
    const { text, error } = await readText(
      await policy.execute(({ signal }) => lines(signal)),
      textOf,
    );
    expect(text).toEqual(['Hello']);
    expect(expectInterrupted(error, 'connection').cause).toBeInstanceOf(StreamEndedEarlyError);
  });

  it('without the tests, the same cut stream looks complete', async () => {
    fake().setScript(body('thinking: hm', 'text: Hello'));
    const { policy } = quickStreamPolicy();
    const { text, error } = await readText(
      await policy.execute(({ signal }) => lines(signal)),
      textOf,
    );
    expect(text).toEqual(['Hello']);
    expect(error).toBeUndefined();
  });

  it.each([
    ['isFirstToken', 'text:', '"text:"'],
    ['isAnswerEnd', 0, '0'],
  ])(
    'rejects %s %s when the policy is made, naming the option and the value',
    (name, value, shown) => {
      expect(() => createStreamPolicy({ [name]: value })).toThrow(
        new TypeError(`${name} must be a function, got ${shown}`),
      );
    },
  );
});
