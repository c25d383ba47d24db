/** One request the fake OpenAI server received, as `FakeOpenAI.requests` records it. */
export interface RecordedRequest {
  /** When it arrived, in milliseconds since the server started. */
  time: number;
  /** The URL path, e.g. `/v1/chat/completions`. */
  path: string;
  /** The `model` of the JSON body, when it had one. */
  model: string | undefined;
  /** Whether the body asked for a stream (`stream: true`). */
  stream: boolean;
  /** The openai SDK's `x-stainless-retry-count` header as a number (0 on a first attempt). */
  retryCount: number | undefined;
  /** True once the client closed the connection before the reply had ended. */
  clientClosed: boolean;
  /** The parsed JSON body (`undefined` when the body was not JSON), for assertions in tests. */
  body: unknown;
}
