import OpenAI from 'openai';
import { naiveRetry } from './naiveRetry.js';

/**
 * One client under test, bound to one fake server: how it sends a chat call and how it reads a
 * streamed one. `model` names the call, so the server's request log tells which call sent what.
 */
export interface BenchClient {
  /** Sends one chat completion; resolves once the whole reply has arrived. */
  chat(model: string, signal: AbortSignal): Promise<void>;
  /**
   * Sends one streamed chat completion and reads it to its end; resolves with the chunk count,
   * rejects if it ended without its final chunk ({@link TruncatedStreamError}).
   */
  stream(model: string, signal: AbortSignal): Promise<number>;
}

/** A kind of client by name; `create` builds a fresh one (fresh policies too) for one server. */
export interface ClientFactory {
  name: string;
  create(baseURL: string): BenchClient;
}

/** The slice of a chat policy the bench drives: `execute(fn, signal)`. */
export interface ChatPolicyLike {
  execute<T>(
    fn: (context: { signal: AbortSignal }) => T | PromiseLike<T>,
    signal?: AbortSignal,
  ): Promise<T>;
}

/** The slice of a stream policy the bench drives: `execute` resolves to the stream's chunks. */
export interface StreamPolicyLike {
  execute<C>(
    fn: (context: { signal: AbortSignal }) => AsyncIterable<C> | PromiseLike<AsyncIterable<C>>,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<C>>;
}

/** The SDK baseline's name in tables and charts. */
export const SDK_CLIENT = 'openai SDK retries';
/** The naive loop's name in tables and charts. */
export const NAIVE_CLIENT = 'naive loop';

const API_KEY = 'sk-bench-not-a-real-key';
const MESSAGES = [{ role: 'user' as const, content: 'Say hi.' }];

/**
 * Thrown by the bench when a stream's loop ended without its final chunk (the one carrying a
 * `finish_reason`): the reader was handed a truncated answer without any error.
 */
export class TruncatedStreamError extends Error {
  override readonly name = 'TruncatedStreamError';
}

/**
 * Reads a chat stream to its end and counts its chunks; throws {@link TruncatedStreamError} if
 * the loop ended before the chunk with a `finish_reason`.
 */
async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let chunks = 0;
  let finished = false;
  for await (const chunk of stream) {
    chunks++;
    const choices = (chunk as { choices?: { finish_reason?: string | null }[] }).choices;
    if (choices?.some((choice) => choice.finish_reason)) finished = true;
  }
  if (!finished) throw new TruncatedStreamError(`the stream ended silently after ${chunks} chunks`);
  return chunks;
}

/**
 * Baseline (a): the openai SDK with its own retries at their defaults (maxRetries 2, backoff from
 * 0.5 s honouring retry-after-ms). `timeoutMs` sets its per-request timeout (default 10 minutes).
 */
export function sdkClient(options: { timeoutMs?: number } = {}): ClientFactory {
  return {
    name: SDK_CLIENT,
    create(baseURL) {
      const client = new OpenAI({
        baseURL,
        apiKey: API_KEY,
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      });
      return {
        async chat(model, signal) {
          await client.chat.completions.create({ model, messages: MESSAGES }, { signal });
        },
        async stream(model, signal) {
          const stream = await client.chat.completions.create(
            { model, messages: MESSAGES, stream: true },
            { signal },
          );
          return drain(stream);
        },
      };
    },
  };
}

/**
 * Baseline (b): the hand-written loop of {@link naiveRetry} around the openai SDK with its own
 * retries off and a per-attempt timeout of `timeoutMs` (default 30 s). For a stream, the loop
 * covers the request and the reading of the stream.
 */
export function naiveClient(options: { timeoutMs?: number } = {}): ClientFactory {
  return {
    name: NAIVE_CLIENT,
    create(baseURL) {
      const client = new OpenAI({
        baseURL,
        apiKey: API_KEY,
        maxRetries: 0,
        timeout: options.timeoutMs ?? 30_000,
      });
      return {
        async chat(model, signal) {
          await naiveRetry(
            () => client.chat.completions.create({ model, messages: MESSAGES }, { signal }),
            signal,
          );
        },
        stream(model, signal) {
          return naiveRetry(async () => {
            const stream = await client.chat.completions.create(
              { model, messages: MESSAGES, stream: true },
              { signal },
            );
            return drain(stream);
          }, signal);
        },
      };
    },
  };
}

/**
 * This package: the openai SDK with its own retries off, every call through a policy built fresh
 * for each server by `policies()` (so no breaker or gate state leaks between runs).
 */
export function presetClient(
  name: string,
  policies: () => { chat?: ChatPolicyLike; stream?: StreamPolicyLike },
): ClientFactory {
  return {
    name,
    create(baseURL) {
      const client = new OpenAI({ baseURL, apiKey: API_KEY, maxRetries: 0 });
      const { chat, stream } = policies();
      return {
        async chat(model, signal) {
          if (!chat) throw new TypeError(`${name}: no chat policy given`);
          await chat.execute(
            ({ signal: attemptSignal }) =>
              client.chat.completions.create(
                { model, messages: MESSAGES },
                { signal: attemptSignal },
              ),
            signal,
          );
        },
        async stream(model, signal) {
          if (!stream) throw new TypeError(`${name}: no stream policy given`);
          const chunks = await stream.execute(
            ({ signal: attemptSignal }) =>
              client.chat.completions.create(
                { model, messages: MESSAGES, stream: true },
                { signal: attemptSignal },
              ),
            signal,
          );
          return drain(chunks);
        },
      };
    },
  };
}
