import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTENT,
  type FakeOpenAI,
  replies,
  schedules,
  startFakeOpenAI,
} from '../../src/testing/index.js';

let fake: FakeOpenAI | undefined;

async function start(script?: Parameters<typeof startFakeOpenAI>[0]) {
  fake = await startFakeOpenAI(script);
  return fake;
}

function clientFor(server: FakeOpenAI, options: { maxRetries?: number; timeout?: number } = {}) {
  return new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0, ...options });
}

const chat = (client: OpenAI) =>
  client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  });

const chatStream = (client: OpenAI, signal?: AbortSignal) =>
  client.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
    signal ? { signal } : {},
  );

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const until = async (condition: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('startFakeOpenAI: successful replies', () => {
  it('answers a chat completion and records the request', async () => {
    const server = await start({ script: replies.ok({ content: 'Bonjour' }) });
    expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const { data, response } = await chat(clientFor(server)).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.choices[0]?.message.content).toBe('Bonjour');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('499');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      stream: false,
      retryCount: 0,
      clientClosed: false,
    });
    expect(request?.time).toBeGreaterThanOrEqual(0);
    expect(request?.body).toMatchObject({ messages: [{ role: 'user', content: 'hi' }] });
  });

  it('streams replies.ok() as chat chunks ending in [DONE], with usage when asked', async () => {
    const server = await start();
    const stream = await clientFor(server).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    const finishReasons: unknown[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishReasons.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(DEFAULT_CONTENT);
    expect(finishReasons).toEqual(['stop']);
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) });
    expect(server.requests[0]).toMatchObject({
      stream: true,
      model: 'gpt-4o',
      clientClosed: false,
    });
  });

  it('answers embeddings in base64 (the SDK default) and as floats', async () => {
    const server = await start();
    const client = clientFor(server);
    const base64 = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: 8,
    });
    expect(base64.data).toHaveLength(2);
    expect(base64.data[0]?.embedding).toHaveLength(8);
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'a',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(floats.data).toHaveLength(1);
    // The same input gives the same vector in both encodings (float32 precision).
    expect(floats.data[0]?.embedding).toEqual(base64.data[0]?.embedding);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/embeddings', '/v1/embeddings']);
  });

  it('answers the Responses API as JSON and as an SSE event stream', async () => {
    const server = await start({ script: replies.ok({ content: 'one two three' }) });
    const client = clientFor(server);
    const response = await client.responses.create({ model: 'gpt-4.1', input: 'hi' });
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('one two three');

    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'hi', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('one two three');
    expect(types[0]).toBe('response.created');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(3);
    expect(types.at(-1)).toBe('response.completed');
  });
});

describe('startFakeOpenAI: error replies the SDK turns into its error classes', () => {
  it('rate limit: RateLimitError with retry-after-ms, retry-after and x-ratelimit headers', async () => {
    const server = await start({ script: replies.rateLimit({ retryAfterMs: 1250 }) });
    const error = await caught(chat(clientFor(server)));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const e = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('requests');
    expect(e.headers.get('retry-after-ms')).toBe('1250');
    expect(e.headers.get('retry-after')).toBe('2');
    expect(e.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(e.headers.get('x-ratelimit-reset-requests')).toBe('1.25s');
    expect(e.requestID).toMatch(/^req_/);
  });

  it.each([
    ['quota', () => replies.quota(), OpenAI.RateLimitError, 429, 'insufficient_quota'],
    [
      'contextLength',
      () => replies.contextLength(),
      OpenAI.BadRequestError,
      400,
      'context_length_exceeded',
    ],
    [
      'unauthorized',
      () => replies.unauthorized(),
      OpenAI.AuthenticationError,
      401,
      'invalid_api_key',
    ],
    ['serverError', () => replies.serverError(), OpenAI.InternalServerError, 500, null],
    ['overloaded', () => replies.overloaded(), OpenAI.InternalServerError, 503, null],
    ['status(409)', () => replies.status(409), OpenAI.ConflictError, 409, null],
  ] as const)('%s', async (_name, reply, errorClass, status, code) => {
    const server = await start({ script: reply() });
    const error = await caught(chat(clientFor(server)));
    expect(error).toBeInstanceOf(errorClass);
    const e = error as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(status);
    expect(e.code ?? null).toBe(code);
    expect(e.requestID).toMatch(/^req_/);
  });

  it('the 503 says the engine is overloaded and the 401 names no key', async () => {
    const server = await start({ script: [replies.overloaded(), replies.unauthorized()] });
    const client = clientFor(server);
    expect(String(await caught(chat(client)))).toMatch(/overloaded/);
    expect(String(await caught(chat(client)))).not.toMatch(/sk-/);
  });

  it('status() and raw() send the given body and headers', async () => {
    const server = await start({
      script: [
        replies.status(
          418,
          { error: { message: 'teapot', type: 'x', code: 'tea' } },
          { 'x-a': '1' },
        ),
        replies.raw(502, '<html>Bad gateway</html>', { 'content-type': 'text/html' }),
        replies.status(200, { custom: true }),
      ],
    });
    const client = clientFor(server);
    const teapot = (await caught(chat(client))) as InstanceType<typeof OpenAI.APIError>;
    expect(teapot.status).toBe(418);
    expect(teapot.code).toBe('tea');
    expect(teapot.headers?.get('x-a')).toBe('1');
    const gateway = (await caught(chat(client))) as InstanceType<typeof OpenAI.APIError>;
    expect(gateway).toBeInstanceOf(OpenAI.InternalServerError);
    expect(gateway.status).toBe(502);
    expect(gateway.headers?.get('content-type')).toBe('text/html');
    expect(await chat(client)).toEqual({ custom: true });
  });

  it('answers an unknown path with a 404 and still records it', async () => {
    const server = await start();
    const error = await caught(clientFor(server).models.list());
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(server.requests[0]?.path).toBe('/v1/models');
  });

  it('records x-stainless-retry-count across the SDK retries', async () => {
    const server = await start({
      script: schedules.failFirst(2, replies.rateLimit({ retryAfterMs: 10 })),
    });
    const result = await chat(clientFor(server, { maxRetries: 2 }));
    expect(result.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
    expect(server.requests.map((r) => r.retryCount)).toEqual([0, 1, 2]);
    // The SDK waited the retry-after-ms hint, not its own default back-off (>= 500 ms).
    const gaps = server.requests.slice(1).map((r, i) => r.time - (server.requests[i]?.time ?? 0));
    for (const gap of gaps) expect(gap).toBeLessThan(400);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(9);
  });
});

describe('startFakeOpenAI: timing replies', () => {
  it('delay(ms, reply) answers after ms', async () => {
    const server = await start({ script: replies.delay(150, replies.ok({ content: 'late' })) });
    const started = performance.now();
    const result = await chat(clientFor(server));
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(result.choices[0]?.message.content).toBe('late');
  });

  it('slowBody(ms) sends the headers at once and the body after ms', async () => {
    const server = await start({ script: replies.slowBody(200) });
    const started = performance.now();
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    const headersAt = performance.now() - started;
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    const bodyAt = performance.now() - started;
    expect(response.status).toBe(200);
    expect(headersAt).toBeLessThan(150);
    expect(bodyAt).toBeGreaterThanOrEqual(195);
    expect(body.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
  });

  it('hang() never answers; the client times out and the request is marked clientClosed', async () => {
    const server = await start({ script: replies.hang() });
    const error = await caught(chat(clientFor(server, { timeout: 150 })));
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await until(() => server.requests[0]?.clientClosed === true);
  });

  it('marks clientClosed when the caller aborts during a delay, and not on a normal reply', async () => {
    const server = await start({
      script: [replies.delay(5_000, replies.ok()), replies.ok()],
    });
    const client = clientFor(server);
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [] },
      { signal: controller.signal },
    );
    await until(() => server.requests.length === 1);
    controller.abort();
    expect(await caught(pending)).toBeInstanceOf(OpenAI.APIUserAbortError);
    await until(() => server.requests[0]?.clientClosed === true);
    await chat(client);
    expect(server.requests[1]?.clientClosed).toBe(false);
  });

  it('close() ends a hung request and resolves', async () => {
    const server = await start({ script: replies.hang() });
    const pending = caught(chat(clientFor(server)));
    await until(() => server.requests.length === 1);
    await server.close();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    // The server closed it, not the client.
    expect(server.requests[0]?.clientClosed).toBe(false);
  });
});

describe('startFakeOpenAI: streams that go wrong', () => {
  it('stallAfter: sends N chunks, then stays silent until the client aborts', async () => {
    const server = await start({
      script: replies.stream({ chunks: ['a', 'b', 'c', 'd'], stallAfter: 2 }),
    });
    const stream = await chatStream(clientFor(server));
    const iterator = stream[Symbol.asyncIterator]();
    const received: string[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await iterator.next();
      received.push((next.value as OpenAI.ChatCompletionChunk).choices[0]?.delta.content ?? '');
    }
    expect(received).toEqual(['a', 'b']);
    const third = iterator.next();
    const outcome = await Promise.race([
      third.then(() => 'chunk'),
      new Promise((resolve) => setTimeout(resolve, 300, 'silent')),
    ]);
    expect(outcome).toBe('silent');
    stream.controller.abort();
    await third.catch(() => undefined);
    await until(() => server.requests[0]?.clientClosed === true);
  });

  it('stallAfter: close() ends the stalled stream and resolves', async () => {
    const server = await start({ script: replies.stream({ stallAfter: 1 }) });
    const stream = await chatStream(clientFor(server));
    const reading = (async () => {
      for await (const _chunk of stream) {
        // read until the stream ends or fails
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    await expect(reading).rejects.toThrow();
    expect(server.requests[0]?.clientClosed).toBe(false);
  });

  it('dropAfter: sends N chunks, then the socket dies and the SDK throws', async () => {
    const server = await start({
      script: replies.stream({ chunks: ['a', 'b', 'c'], dropAfter: 2 }),
    });
    const stream = await chatStream(clientFor(server));
    const received: string[] = [];
    const error = await caught(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(received).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(Error);
    expect(server.requests[0]?.clientClosed).toBe(false);
  });

  it('dropAfter: 0 drops before any chunk', async () => {
    const server = await start({ script: replies.stream({ dropAfter: 0 }) });
    const received: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const chunk of await chatStream(clientFor(server))) received.push(chunk);
      })(),
    );
    expect(received).toEqual([]);
    expect(error).toBeInstanceOf(Error);
  });

  it('errorAfter: sends N chunks, then an SSE error the SDK throws as an APIError', async () => {
    const server = await start({
      script: replies.stream({ chunks: ['a', 'b', 'c'], errorAfter: 1 }),
    });
    const stream = await chatStream(clientFor(server));
    const received: string[] = [];
    const error = await caught(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(received).toEqual(['a']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
    expect(String(error)).toMatch(/server had an error/);
  });

  it('errorAfter on the Responses API: an `event: error` the SDK throws as an APIError', async () => {
    const server = await start({ script: replies.stream({ chunks: ['x', 'y'], errorAfter: 1 }) });
    const stream = await clientFor(server).responses.create({
      model: 'gpt-4.1',
      input: 'hi',
      stream: true,
    });
    const deltas: string[] = [];
    const error = await caught(
      (async () => {
        for await (const event of stream) {
          if (event.type === 'response.output_text.delta') deltas.push(event.delta);
        }
      })(),
    );
    expect(deltas).toEqual(['x']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('server_error');
  });

  it('chunkDelayMs spaces the chunks out', async () => {
    const server = await start({
      script: replies.stream({ chunks: ['a', 'b', 'c'], chunkDelayMs: 60 }),
    });
    const started = performance.now();
    const times: number[] = [];
    for await (const _chunk of await chatStream(clientFor(server))) {
      times.push(performance.now() - started);
    }
    expect(times).toHaveLength(4); // three content chunks and the finish chunk
    expect(times[0]).toBeGreaterThanOrEqual(55);
    expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(110);
  });
});

describe('startFakeOpenAI: scripts', () => {
  it('an array answers in order and repeats its last reply; setScript starts again', async () => {
    const server = await start({ script: [replies.serverError(), replies.ok({ content: 'x' })] });
    const client = clientFor(server);
    expect(await caught(chat(client))).toBeInstanceOf(OpenAI.InternalServerError);
    expect((await chat(client)).choices[0]?.message.content).toBe('x');
    expect((await chat(client)).choices[0]?.message.content).toBe('x');
    server.setScript(schedules.failFirst(1, replies.quota()));
    expect(await caught(chat(client))).toBeInstanceOf(OpenAI.RateLimitError);
    expect((await chat(client)).choices[0]?.message.content).toBe(DEFAULT_CONTENT);
    expect(server.requests).toHaveLength(5);
  });

  it('a schedule that returns nonsense gets a 500 naming the problem', async () => {
    const server = await start({ script: () => ({ type: 'nope' }) as never });
    const error = (await caught(chat(clientFor(server)))) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(500);
    expect(error.type).toBe('fake_script_error');
    expect(error.message).toMatch(/type must be one of .*"nope"/);
  });

  it('refuses a script that makes no sense, at once, naming the field and the value', async () => {
    expect(() => startFakeOpenAI({ script: { type: 'bogus' } as never })).toThrow(
      /script: type must be one of .*got "bogus"/,
    );
    expect(() => startFakeOpenAI({ script: [] })).toThrow(TypeError);
    expect(() =>
      startFakeOpenAI({ script: [replies.ok(), { type: 'delay', ms: -5, reply: replies.ok() }] }),
    ).toThrow(/script\[1\]: ms must be a finite number >= 0, got -5/);
    const server = await start();
    expect(() => server.setScript({ type: 'delay', ms: 1, reply: { type: 'x' } } as never)).toThrow(
      /setScript: script: reply\.type must be one of .*got "x"/,
    );
  });

  it('the reply builders refuse bad arguments', () => {
    expect(() => replies.delay(-1, replies.ok())).toThrow(/replies\.delay: ms must be .*got -1/);
    expect(() => replies.delay(1, 'ok' as never)).toThrow(
      /replies\.delay: reply must be a reply object .*got "ok"/,
    );
    expect(() => replies.slowBody(Number.NaN)).toThrow(/slowBody: ms .*got NaN/);
    expect(() => replies.slowBody(1, replies.hang() as never)).toThrow(/slowBody: reply must be/);
    expect(() => replies.rateLimit({ retryAfterMs: -3 })).toThrow(/retryAfterMs .*got -3/);
    expect(() => replies.status(99)).toThrow(/replies\.status: status .*got 99/);
    expect(() => replies.raw(200, 5 as never)).toThrow(/rawBody must be a string, got 5/);
    expect(() => replies.status(400, {}, { a: 1 } as never)).toThrow(
      /headers\["a"\] must be a string/,
    );
    expect(() => replies.ok({ content: 1 } as never)).toThrow(/content must be a string, got 1/);
    expect(() => replies.stream({ stallAfter: 7 })).toThrow(
      /stallAfter must be an integer from 0 to chunks.length \(6\), got 7/,
    );
    expect(() => replies.stream({ stallAfter: 1, dropAfter: 2 })).toThrow(/stallAfter\/dropAfter/);
    expect(() => replies.stream({ errorAfter: 0.5 })).toThrow(/errorAfter .*got 0\.5/);
    expect(() => replies.stream({ chunkDelayMs: -1 })).toThrow(/chunkDelayMs .*got -1/);
    expect(() => replies.stream({ chunks: ['a', 2] as never })).toThrow(
      /chunks must be an array of strings/,
    );
  });
});
