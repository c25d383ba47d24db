import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { refuse } from '../validate.js';
import { FakeRateLimiter, type FakeRateLimitOptions } from './fakeRateLimits.js';
import { newId } from './openAIBodies.js';
import { okBodyFor, type ProviderEndpoint, routeOf, streamFramesFor } from './providerEndpoints.js';
import type { RecordedRequest } from './recordedRequest.js';
import {
  type OkReply,
  openAIErrorBody,
  type RawReply,
  type Reply,
  replies,
  type StatusReply,
  type StreamReply,
  splitIntoChunks,
} from './replies.js';
import { replyFor, type Script, validateScript } from './script.js';
import { showValue } from './showValue.js';

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** What the server answers; default `replies.ok()` to every request. */
  script?: Script;
  /**
   * Rate limits of the server's own, enforced before the script answers: a request the buckets
   * cannot pay for gets a 429 (the script is not consulted), and every reply carries the buckets'
   * state in rate-limit headers. Default: none (the script alone decides; successful replies
   * carry fixed `x-ratelimit-*` headers).
   */
  rateLimits?: FakeRateLimitOptions;
}

/** A running fake OpenAI server (see {@link startFakeOpenAI}). */
export interface FakeOpenAI {
  /** The base URL to give the openai client: `http://127.0.0.1:PORT/v1`. */
  readonly baseURL: string;
  /**
   * The server's origin, `http://127.0.0.1:PORT`: the base URL to give the Anthropic client
   * (`/v1/messages`) and the Gemini client (`httpOptions.baseUrl`, `/v1beta/models/...`).
   */
  readonly origin: string;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** Replaces the script; the schedule index starts again at 0. Throws a TypeError for a bad script. */
  setScript(script: Script): void;
  /** Ends every open connection (hung and stalled ones too) and stops the server. */
  close(): Promise<void>;
}

const OK_RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit-requests': '500',
  'x-ratelimit-remaining-requests': '499',
  'x-ratelimit-reset-requests': '120ms',
  'x-ratelimit-limit-tokens': '30000',
  'x-ratelimit-remaining-tokens': '29990',
  'x-ratelimit-reset-tokens': '20ms',
};

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};
const JSON_HEADERS = { 'content-type': 'application/json' };

/** A reply rendered to status, headers and a body sent in one piece. */
interface Rendered {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request being answered: its response, its pending timers, and whether it is still live. */
class Exchange {
  live = true;
  /** Set when the server itself ends the connection, so that it is not taken for the client's doing. */
  endedByServer = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    readonly res: ServerResponse,
    readonly record: RecordedRequest,
    readonly endpoint: ProviderEndpoint | undefined,
  ) {}

  /** The request's JSON body as an object (empty until read, or when it was not an object). */
  body: Record<string, unknown> = {};
  /** The server's rate-limit headers for this reply, when it has limits of its own. */
  limitHeaders: Record<string, string> = {};
  /** Whether the server has limits of its own (their headers replace the fixed ones). */
  limited = false;

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  write(text: string): Promise<void> {
    return new Promise((resolve) => {
      this.res.write(text, () => resolve());
    });
  }

  stop(): void {
    this.live = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Ends the connection from the server side. */
  destroy(): void {
    this.endedByServer = true;
    this.stop();
    this.res.socket?.destroy();
  }
}

/** The rate-limit headers of a successful reply: the server's own limits', else fixed ones. */
function okRateLimitHeaders(exchange: Exchange): Record<string, string> {
  return exchange.limited ? exchange.limitHeaders : OK_RATE_LIMIT_HEADERS;
}

function baseHeaders(): Record<string, string> {
  return {
    'x-request-id': newId('req_'),
    'openai-version': '2020-10-01',
    'openai-processing-ms': '5',
  };
}

function render(exchange: Exchange, reply: OkReply | StatusReply | RawReply): Rendered {
  if (reply.type === 'raw') {
    return {
      status: reply.status,
      headers: { ...baseHeaders(), ...JSON_HEADERS, ...exchange.limitHeaders, ...reply.headers },
      body: reply.rawBody,
    };
  }
  if (reply.type === 'status') {
    return {
      status: reply.status,
      headers: { ...baseHeaders(), ...JSON_HEADERS, ...exchange.limitHeaders, ...reply.headers },
      body: JSON.stringify(reply.body),
    };
  }
  const headers = { ...baseHeaders(), ...okRateLimitHeaders(exchange) };
  const endpoint = exchange.endpoint ?? 'chat';
  if (exchange.record.stream) {
    const texts = splitIntoChunks(reply.content);
    const frames = streamFramesFor(endpoint, exchange.record.model, exchange.body, texts);
    const body = [...frames.head, ...texts.map((text) => frames.chunk(text)), ...frames.tail].join(
      '',
    );
    return { status: 200, headers: { ...headers, ...SSE_HEADERS }, body };
  }
  const body = JSON.stringify(
    okBodyFor(endpoint, exchange.record.model, exchange.body, reply.content),
  );
  return { status: 200, headers: { ...headers, ...JSON_HEADERS }, body };
}

async function sendStream(exchange: Exchange, reply: StreamReply): Promise<void> {
  const { res } = exchange;
  const { endpoint = 'chat', record, body } = exchange;
  const frames = streamFramesFor(endpoint, record.model, body, reply.chunks, reply.thinking);
  res.writeHead(200, {
    ...baseHeaders(),
    ...okRateLimitHeaders(exchange),
    ...SSE_HEADERS,
  });
  await exchange.write(frames.head.join(''));
  const cutAt =
    reply.stallAfter ??
    reply.dropAfter ??
    reply.errorAfter ??
    reply.cutAfter ??
    reply.chunks.length;
  for (const text of reply.chunks.slice(0, cutAt)) {
    if (reply.chunkDelayMs > 0) await exchange.wait(reply.chunkDelayMs);
    if (!exchange.live) return;
    await exchange.write(frames.chunk(text));
  }
  if (!exchange.live || reply.stallAfter !== undefined) return;
  if (reply.dropAfter !== undefined) {
    exchange.destroy();
  } else if (reply.errorAfter !== undefined) {
    res.end(frames.error);
  } else if (reply.cutAfter !== undefined) {
    res.end();
  } else {
    res.end(frames.tail.join(''));
  }
}

async function send(exchange: Exchange, reply: Reply): Promise<void> {
  const { res } = exchange;
  switch (reply.type) {
    case 'hang':
      return;
    case 'delay':
      await exchange.wait(reply.ms);
      if (exchange.live) await send(exchange, reply.reply);
      return;
    case 'stream':
      return sendStream(exchange, reply);
    case 'slowBody': {
      const rendered = render(exchange, reply.reply);
      res.writeHead(rendered.status, rendered.headers);
      await exchange.write('');
      await exchange.wait(reply.ms);
      if (exchange.live) res.end(rendered.body);
      return;
    }
    default: {
      const rendered = render(exchange, reply);
      res.writeHead(rendered.status, rendered.headers);
      res.end(rendered.body);
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function retryCountOf(req: IncomingMessage): number | undefined {
  const header = req.headers['x-stainless-retry-count'];
  const count = typeof header === 'string' ? Number.parseInt(header, 10) : Number.NaN;
  return Number.isNaN(count) ? undefined : count;
}

function errorReply(status: number, message: string, type: string): StatusReply {
  return replies.status(status, openAIErrorBody(message, type, null));
}

/**
 * Starts an OpenAI-compatible HTTP server on 127.0.0.1 at a free port, for tests: it serves
 * POST /v1/chat/completions (JSON, or SSE when the body has `stream: true`), /v1/embeddings and
 * /v1/responses (JSON or SSE events), and in the same wire formats Anthropic's POST /v1/messages
 * (SSE Messages events with `stream: true`) and Gemini's POST
 * /v1beta/models/MODEL:generateContent and :streamGenerateContent, answering each request from
 * `options.script` (default `replies.ok()`), and records every request in `requests`. Node only.
 * Throws a TypeError at once for a script that makes no sense.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { createChatPolicy } from 'llm-resilience';
 * import { replies, schedules, startFakeOpenAI } from 'llm-resilience/testing';
 *
 * const fake = await startFakeOpenAI({
 *   script: schedules.failFirst(2, replies.serverError()), // two 500s, then answers
 * });
 * const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
 * const policy = createChatPolicy({ retry: { initialDelayMs: 10 } });
 * const completion = await policy.execute(({ signal }) =>
 *   client.chat.completions.create(
 *     { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] },
 *     { signal },
 *   ),
 * );
 * fake.requests.length; // 3
 * await fake.close();
 * ```
 */
export function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  if (typeof options !== 'object' || options === null) {
    refuse('startFakeOpenAI: options', 'an object', options, showValue);
  }
  let script: Script = options.script ?? replies.ok();
  validateScript(script, 'startFakeOpenAI:');
  let index = 0;
  const limiter =
    options.rateLimits === undefined
      ? undefined
      : new FakeRateLimiter(options.rateLimits, performance.now());
  const requests: RecordedRequest[] = [];
  const exchanges = new Set<Exchange>();
  const sockets = new Set<Socket>();
  const started = performance.now();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const record: RecordedRequest = {
      time: performance.now() - started,
      path: (req.url ?? '/').split('?')[0] ?? '/',
      model: undefined,
      stream: false,
      retryCount: retryCountOf(req),
      clientClosed: false,
      body: undefined,
    };
    requests.push(record);
    const route = routeOf(req.method, record.path);
    const endpoint = route?.endpoint;
    const exchange = new Exchange(res, record, endpoint);
    exchanges.add(exchange);
    res.on('close', () => {
      exchanges.delete(exchange);
      if (!res.writableFinished && !exchange.endedByServer) record.clientClosed = true;
      exchange.stop();
    });
    const text = await readBody(req);
    record.body = parseJson(text);
    const body = asObject(record.body);
    exchange.body = body;
    record.model = route?.model ?? (typeof body.model === 'string' ? body.model : undefined);
    record.stream = body.stream === true || route?.stream === true;
    if (!exchange.live) return;
    let reply: Reply;
    if (endpoint === undefined) {
      reply = errorReply(
        404,
        `Invalid URL (${req.method} ${record.path})`,
        'invalid_request_error',
      );
    } else {
      const admission = limiter?.admit(text, performance.now());
      if (admission !== undefined) {
        exchange.limited = true;
        exchange.limitHeaders = admission.headers;
      }
      if (admission?.refused !== undefined) {
        await send(exchange, admission.refused);
        return;
      }
      try {
        reply = replyFor(script, record, index++);
      } catch (error) {
        reply = errorReply(500, `fake OpenAI script error: ${String(error)}`, 'fake_script_error');
      }
    }
    await send(exchange, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      for (const exchange of exchanges) {
        exchange.endedByServer = true;
        exchange.stop();
      }
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        baseURL: `http://127.0.0.1:${port}/v1`,
        origin: `http://127.0.0.1:${port}`,
        requests,
        setScript(next: Script) {
          validateScript(next, 'setScript:');
          script = next;
          index = 0;
        },
        close,
      });
    });
  });
}
