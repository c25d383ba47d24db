/**
 * Errors shaped like those of `@google/genai` (`ApiError`), the Vercel AI SDK
 * (`AI_APICallError`) and `@aws-sdk/client-bedrock-runtime` (its exceptions): the same names and
 * fields as the real ones, built the way each SDK builds them from an HTTP answer. `chaos`
 * throws them with `provider: 'google'`, `'vercel-ai'` or `'bedrock'`.
 */

/** Like `@google/genai`'s `ApiError`: the status and the JSON body as the message, no headers. */
export class ApiError extends Error {
  /** The HTTP status. */
  readonly status: number;

  constructor(status: number, body: unknown) {
    super(JSON.stringify(body));
    this.name = 'ApiError';
    this.status = status;
  }
}

/** Like the AI SDK's `APICallError`: an error answer from the provider's API. */
export class APICallError extends Error {
  /** The request's URL. */
  readonly url: string;
  /** The request's body values: always empty here (the real ones hold the prompt). */
  readonly requestBodyValues: Record<string, never> = {};
  /** The HTTP status; `undefined` when no answer came. */
  readonly statusCode: number | undefined;
  /** The response headers, lower-case names. */
  readonly responseHeaders: Record<string, string> | undefined;
  /** The response body text. */
  readonly responseBody: string | undefined;
  /** The AI SDK's own view: 408, 409, 429 and 5xx are retryable. */
  readonly isRetryable: boolean;
  /** The parsed error body. */
  readonly data: unknown;

  constructor(options: {
    message: string;
    url: string;
    statusCode?: number;
    responseHeaders?: Record<string, string>;
    responseBody?: string;
    data?: unknown;
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    super(options.message, { cause: options.cause });
    this.name = 'AI_APICallError';
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.responseHeaders = options.responseHeaders;
    this.responseBody = options.responseBody;
    const status = options.statusCode;
    this.isRetryable =
      options.isRetryable ??
      (status !== undefined &&
        (status === 408 || status === 409 || status === 429 || status >= 500));
    this.data = options.data;
  }
}

/**
 * The `APICallError` `@ai-sdk/openai` throws for an HTTP answer: the body's `error.message` as
 * its message, the headers as a record.
 */
export function aiSdkErrorForResponse(
  status: number,
  body: unknown,
  headers: Record<string, string>,
): APICallError {
  const inner = (body as { error?: { message?: unknown } } | undefined)?.error;
  return new APICallError({
    message: typeof inner?.message === 'string' ? inner.message : `HTTP ${status}`,
    url: 'https://api.openai.com/v1/chat/completions',
    statusCode: status,
    responseHeaders: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    responseBody: JSON.stringify(body),
    data: body,
  });
}

/** What the AWS SDK records of a request on its exceptions. */
export interface BedrockMetadata {
  /** The HTTP status. */
  httpStatusCode: number;
  /** The `x-amzn-requestid` header. */
  requestId: string;
  /** How many requests the SDK made. */
  attempts: number;
  /** How long the SDK waited between them, in milliseconds. */
  totalRetryDelay: number;
}

/** Like a Bedrock Runtime exception (`ThrottlingException`, ...): `name`, `$fault`, `$metadata`. */
export class BedrockRuntimeServiceException extends Error {
  /** `client` for 4xx exceptions, `server` for 5xx. */
  readonly $fault: 'client' | 'server';
  /** The HTTP status, the request id and the SDK's attempt count. */
  readonly $metadata: BedrockMetadata;

  constructor(name: string, status: number, message: string, requestId: string) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId, attempts: 1, totalRetryDelay: 0 };
  }
}

/**
 * The exception `@aws-sdk/client-bedrock-runtime` throws for an HTTP answer naming `exception`
 * in its `x-amzn-errortype` header, with a `{ message }` body.
 */
export function bedrockErrorForResponse(
  status: number,
  body: unknown,
  headers: Record<string, string>,
): BedrockRuntimeServiceException {
  const exception = (headers['x-amzn-errortype'] ?? 'UnknownError').split(':')[0] ?? '';
  const message = (body as { message?: unknown } | undefined)?.message;
  return new BedrockRuntimeServiceException(
    exception,
    status,
    typeof message === 'string' ? message : 'UnknownError',
    headers['x-amzn-requestid'] ?? '',
  );
}
