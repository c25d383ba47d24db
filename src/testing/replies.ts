import { atLeastZero, type Check, checkValue, refuse as refuseValue } from '../validate.js';
import { showValue } from './showValue.js';

/** The answer the fake server gives with status 200: a normal completion (or stream) of `content`. */
export interface OkReply {
  /** Tells the reply kinds apart. */
  readonly type: 'ok';
  /** The assistant's text. */
  readonly content: string;
}

/** An HTTP answer with any status, a JSON body and extra headers. */
export interface StatusReply {
  /** Tells the reply kinds apart. */
  readonly type: 'status';
  /** The HTTP status, 200 to 599. */
  readonly status: number;
  /** The body, sent as JSON. */
  readonly body: unknown;
  /** Extra headers; each replaces the fake server's own header of the same name. */
  readonly headers: Readonly<Record<string, string>>;
}

/** An HTTP answer whose body is sent exactly as given (HTML, broken JSON...). */
export interface RawReply {
  /** Tells the reply kinds apart. */
  readonly type: 'raw';
  /** The HTTP status, 200 to 599. */
  readonly status: number;
  /** The body, sent exactly as given. */
  readonly rawBody: string;
  /**
   * Extra headers; each replaces the fake server's own header of the same name (content-type is
   * application/json unless set here).
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** No answer at all: the request stays open until the client gives up or the server closes. */
export interface HangReply {
  /** Tells the reply kinds apart. */
  readonly type: 'hang';
}

/** `reply`, sent after `ms` milliseconds. */
export interface DelayReply {
  /** Tells the reply kinds apart. */
  readonly type: 'delay';
  /** The wait before anything is sent, in milliseconds. */
  readonly ms: number;
  /** What is sent after the wait. */
  readonly reply: Reply;
}

/** The status and headers of `reply` at once, its body after `ms` milliseconds. */
export interface SlowBodyReply {
  /** Tells the reply kinds apart. */
  readonly type: 'slowBody';
  /** The wait between the headers and the body, in milliseconds. */
  readonly ms: number;
  /** The reply whose status, headers and body are sent. */
  readonly reply: OkReply | StatusReply | RawReply;
}

/**
 * An SSE stream of `chunks` (each one content delta), optionally cut short after `stallAfter`,
 * `dropAfter`, `errorAfter` or `cutAfter` chunks (at most one of them), with `chunkDelayMs`
 * before each chunk.
 */
export interface StreamReply {
  /** Tells the reply kinds apart. */
  readonly type: 'stream';
  /** The content deltas, one SSE chunk each. */
  readonly chunks: readonly string[];
  /** The wait before each chunk, in milliseconds. */
  readonly chunkDelayMs: number;
  /** The model's thinking, sent before the chunks (Anthropic and Gemini streams). */
  readonly thinking?: readonly string[];
  /** Send this many chunks, then keep the connection open and silent. */
  readonly stallAfter?: number;
  /** Send this many chunks, then destroy the socket. */
  readonly dropAfter?: number;
  /** Send this many chunks, then an SSE error event, then end the response. */
  readonly errorAfter?: number;
  /** Send this many chunks, then end the response cleanly, without the end of the answer. */
  readonly cutAfter?: number;
}

/** What the fake server answers to one request. Build one with {@link replies}. */
export type Reply =
  | OkReply
  | StatusReply
  | RawReply
  | HangReply
  | DelayReply
  | SlowBodyReply
  | StreamReply;

/** The text of `replies.ok()` and of the default stream. */
export const DEFAULT_CONTENT = 'Hello from the fake OpenAI server.';

/** Splits text into word-sized stream chunks, keeping the spaces: 'a b' -> ['a', ' b']. */
export function splitIntoChunks(content: string): string[] {
  return content.match(/\s*\S+\s*$|\s*\S+/g) ?? [];
}

/** Refuses `value` as `field` of `where` with the package's one TypeError. */
function refuse(where: string, field: string, expected: string, value: unknown): never {
  return refuseValue(`${where}: ${field}`, expected, value, showValue);
}

/** An HTTP status the fake server can answer with. */
const httpStatus: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 200 && v <= 599
    ? undefined
    : 'an integer HTTP status from 200 to 599';

function checkMs(where: string, field: string, value: unknown): void {
  checkValue(`${where}: ${field}`, value, atLeastZero, showValue);
}

function checkStatus(where: string, field: string, value: unknown): void {
  checkValue(`${where}: ${field}`, value, httpStatus, showValue);
}

function checkHeaders(where: string, field: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    refuse(where, field, 'an object of header names to string values', value);
  }
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== 'string')
      refuse(where, `${field}[${showValue(name)}]`, 'a string', headerValue);
  }
}

const STREAM_FAULTS = ['stallAfter', 'dropAfter', 'errorAfter', 'cutAfter'] as const;

/**
 * Checks that `value` is a Reply the fake server can send and throws a TypeError naming the
 * field and the value otherwise. `where` names the place it came from (e.g. `script[2]`),
 * `prefix` the path inside it (for nested replies).
 */
export function validateReply(value: unknown, where: string, prefix = ''): asserts value is Reply {
  if (typeof value !== 'object' || value === null) {
    refuse(where, prefix.replace(/\.$/, '') || 'reply', 'a reply object (see replies)', value);
  }
  const reply = value as Record<string, unknown>;
  const field = (name: string) => `${prefix}${name}`;
  switch (reply.type) {
    case 'ok':
      if (typeof reply.content !== 'string')
        refuse(where, field('content'), 'a string', reply.content);
      return;
    case 'status':
      checkStatus(where, field('status'), reply.status);
      checkHeaders(where, field('headers'), reply.headers);
      return;
    case 'raw':
      checkStatus(where, field('status'), reply.status);
      if (typeof reply.rawBody !== 'string')
        refuse(where, field('rawBody'), 'a string', reply.rawBody);
      checkHeaders(where, field('headers'), reply.headers);
      return;
    case 'hang':
      return;
    case 'delay':
      checkMs(where, field('ms'), reply.ms);
      validateReply(reply.reply, where, field('reply.'));
      return;
    case 'slowBody': {
      checkMs(where, field('ms'), reply.ms);
      const inner = reply.reply as { type?: unknown } | null;
      if (
        typeof inner !== 'object' ||
        inner === null ||
        !['ok', 'status', 'raw'].includes(inner.type as string)
      ) {
        refuse(where, field('reply'), "an 'ok', 'status' or 'raw' reply", inner);
      }
      validateReply(inner, where, field('reply.'));
      return;
    }
    case 'stream': {
      const chunks = reply.chunks;
      if (!Array.isArray(chunks) || chunks.some((chunk) => typeof chunk !== 'string')) {
        refuse(where, field('chunks'), 'an array of strings', chunks);
      }
      checkMs(where, field('chunkDelayMs'), reply.chunkDelayMs);
      const { thinking } = reply;
      if (
        thinking !== undefined &&
        (!Array.isArray(thinking) || thinking.some((text) => typeof text !== 'string'))
      ) {
        refuse(where, field('thinking'), 'an array of strings', thinking);
      }
      const faults = STREAM_FAULTS.filter((name) => reply[name] !== undefined);
      if (faults.length > 1) {
        refuse(
          where,
          field(faults.join('/')),
          'given one at a time',
          faults.map((f) => reply[f]),
        );
      }
      for (const name of faults) {
        const n = reply[name];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > chunks.length) {
          refuse(where, field(name), `an integer from 0 to chunks.length (${chunks.length})`, n);
        }
      }
      return;
    }
    default:
      refuse(
        where,
        field('type'),
        "one of 'ok', 'status', 'raw', 'hang', 'delay', 'slowBody', 'stream'",
        reply.type,
      );
  }
}

function built<R extends Reply>(reply: R, where: string): R {
  validateReply(reply, where);
  return reply;
}

/** The body OpenAI sends with an error: `{ error: { message, type, param, code } }`. */
export function openAIErrorBody(
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) {
  return { error: { message, type, param, code } };
}

/** Formats a wait the way OpenAI's x-ratelimit-reset-* headers do: `120ms`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Number(((ms - minutes * 60_000) / 1000).toFixed(3))}s`;
}

/** Options of {@link replies.ok}. */
export interface OkOptions {
  /** The assistant's text; default {@link DEFAULT_CONTENT}. */
  content?: string;
}

/** Options of {@link replies.rateLimit}. */
export interface RateLimitReplyOptions {
  /** The wait the server asks for, sent as `retry-after-ms` and `retry-after` (whole seconds, rounded up); default 200. */
  retryAfterMs?: number;
}

/** Options of {@link replies.stream}. */
export interface StreamOptions {
  /** The content deltas, one SSE chunk each; default the words of {@link DEFAULT_CONTENT}. */
  chunks?: readonly string[];
  /** Send this many chunks, then keep the connection open and silent until the client leaves. */
  stallAfter?: number;
  /** Send this many chunks, then destroy the socket (the client sees a broken connection). */
  dropAfter?: number;
  /**
   * Send this many chunks, then an SSE error event: the one the provider sends after a 200
   * (OpenAI's `server_error`, Anthropic's `overloaded_error`, Gemini's 503 `UNAVAILABLE`), which
   * its SDK throws as its API error.
   */
  errorAfter?: number;
  /**
   * Send this many chunks, then end the response cleanly, without the chunk or event that ends
   * the answer (`finish_reason`, `response.completed`, `message_stop`, `finishReason`): a server
   * that closes early, which most SDKs take for a complete stream.
   */
  cutAfter?: number;
  /** Wait before each chunk, in milliseconds; default 0. */
  chunkDelayMs?: number;
  /**
   * The model's thinking, sent at once before the chunks: a `thinking` content block with its
   * `thinking_delta` events and a `signature_delta` (Anthropic), chunks of `thought: true` parts
   * (Gemini). Chat and Responses API streams leave it out. Default: none.
   */
  thinking?: readonly string[];
}

/**
 * Ready-made replies for the fake OpenAI server, with the bodies and headers the real API sends.
 * Each builder checks its arguments and throws a TypeError naming a bad one.
 */
export const replies = {
  /** 200 with a normal answer in the shape of the endpoint (chat, embeddings, responses); streamed when the request asked for a stream. */
  ok(options: OkOptions = {}): OkReply {
    return built({ type: 'ok', content: options.content ?? DEFAULT_CONTENT }, 'replies.ok');
  },

  /** 429 `rate_limit_exceeded` with `retry-after-ms`, `retry-after` and `x-ratelimit-*` headers. */
  rateLimit(options: RateLimitReplyOptions = {}): StatusReply {
    const retryAfterMs = options.retryAfterMs ?? 200;
    checkMs('replies.rateLimit', 'retryAfterMs', retryAfterMs);
    const reset = formatResetDuration(retryAfterMs);
    return built(
      {
        type: 'status',
        status: 429,
        body: openAIErrorBody(
          `Rate limit reached on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${reset}.`,
          'requests',
          'rate_limit_exceeded',
        ),
        headers: {
          'retry-after-ms': String(retryAfterMs),
          'retry-after': String(Math.ceil(retryAfterMs / 1000)),
          'x-ratelimit-limit-requests': '500',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': reset,
          'x-ratelimit-limit-tokens': '30000',
          'x-ratelimit-remaining-tokens': '29000',
          'x-ratelimit-reset-tokens': '2s',
        },
      },
      'replies.rateLimit',
    );
  },

  /** 429 `insufficient_quota`: the account is out of credit; must not be retried. */
  quota(): StatusReply {
    return replies.status(
      429,
      openAIErrorBody(
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota',
        'insufficient_quota',
      ),
    );
  },

  /** 400 `context_length_exceeded`. */
  contextLength(): StatusReply {
    return replies.status(
      400,
      openAIErrorBody(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
        'invalid_request_error',
        'context_length_exceeded',
        'messages',
      ),
    );
  },

  /** 401 `invalid_api_key` (the message names no key). */
  unauthorized(): StatusReply {
    return replies.status(
      401,
      openAIErrorBody(
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      ),
    );
  },

  /** 500 `server_error`. */
  serverError(): StatusReply {
    return replies.status(
      500,
      openAIErrorBody(
        'The server had an error while processing your request. Sorry about that!',
        'server_error',
        null,
      ),
    );
  },

  /** 503 "The engine is currently overloaded". */
  overloaded(): StatusReply {
    return replies.status(
      503,
      openAIErrorBody(
        'The engine is currently overloaded, please try again later',
        'server_error',
        null,
      ),
    );
  },

  /** Any status (200-599) with a JSON body (default: an OpenAI error body for that status) and extra headers. */
  status(status: number, body?: unknown, headers: Record<string, string> = {}): StatusReply {
    checkStatus('replies.status', 'status', status);
    const defaultBody =
      status >= 400
        ? openAIErrorBody(`HTTP ${status} from the fake OpenAI server`, 'server_error', null)
        : {};
    return built(
      { type: 'status', status, body: body === undefined ? defaultBody : body, headers },
      'replies.status',
    );
  },

  /** Any status with a body sent byte for byte (content-type application/json unless `headers` says otherwise). */
  raw(status: number, rawBody: string, headers: Record<string, string> = {}): RawReply {
    return built({ type: 'raw', status, rawBody, headers }, 'replies.raw');
  },

  /** Never answers; the request stays open until the client aborts or the server closes. */
  hang(): HangReply {
    return { type: 'hang' };
  },

  /** Sends `reply` after `ms` milliseconds (nothing at all if the client leaves first). */
  delay(ms: number, reply: Reply): DelayReply {
    return built({ type: 'delay', ms, reply }, 'replies.delay');
  },

  /** Sends the status and headers of `reply` (default `ok()`) at once and its body after `ms`. */
  slowBody(ms: number, reply: OkReply | StatusReply | RawReply = replies.ok()): SlowBodyReply {
    return built({ type: 'slowBody', ms, reply }, 'replies.slowBody');
  },

  /**
   * An SSE stream in the endpoint's wire format (chat chunks, Responses API events, Anthropic
   * Messages events, Gemini `GenerateContentResponse` chunks); see {@link StreamOptions}.
   */
  stream(options: StreamOptions = {}): StreamReply {
    const { chunks = splitIntoChunks(DEFAULT_CONTENT), chunkDelayMs = 0, ...faults } = options;
    return built({ type: 'stream', chunks, chunkDelayMs, ...faults }, 'replies.stream');
  },
};
