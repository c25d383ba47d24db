import { randomUUID } from 'node:crypto';
import { replies, type StatusReply } from './replies.js';

/** The kinds of failure Bedrock Runtime answers with an HTTP error. */
export type BedrockErrorKind =
  | 'rate_limit'
  | 'quota'
  | 'server'
  | 'overloaded'
  | 'timeout'
  | 'context_length'
  | 'auth'
  | 'bad_request'
  | 'permission'
  | 'not_found';

/** The exception, status and message Bedrock Runtime sends for each kind. */
const FOR_KIND: Readonly<Record<BedrockErrorKind, readonly [string, number, string]>> = {
  rate_limit: ['ThrottlingException', 429, 'Too many requests, please wait before trying again.'],
  quota: [
    'ServiceQuotaExceededException',
    400,
    'Your request exceeds the service quota for your account.',
  ],
  server: ['InternalServerException', 500, 'The server encountered an internal error.'],
  overloaded: [
    'ServiceUnavailableException',
    503,
    'The service is unavailable. Please try again later.',
  ],
  timeout: ['ModelTimeoutException', 408, 'The request took too long to process.'],
  context_length: ['ValidationException', 400, 'Input is too long for requested model.'],
  auth: [
    'UnrecognizedClientException',
    403,
    'The security token included in the request is invalid.',
  ],
  bad_request: ['ValidationException', 400, 'The provided request is not valid.'],
  permission: [
    'AccessDeniedException',
    403,
    "You don't have access to the model with the specified model ID.",
  ],
  not_found: ['ResourceNotFoundException', 404, 'Could not resolve the foundation model.'],
};

/** The kinds {@link bedrockErrorReply} knows. */
export const BEDROCK_ERROR_KINDS = Object.keys(FOR_KIND) as BedrockErrorKind[];

/**
 * The error answer Bedrock Runtime gives for a kind of failure: its status, the exception named
 * in the `x-amzn-errortype` header, a `{ message }` body and an `x-amzn-requestid`, as
 * `@aws-sdk/client-bedrock-runtime` reads them into `ThrottlingException`,
 * `ServiceQuotaExceededException`, ... (`quota` is a `ServiceQuotaExceededException`,
 * `context_length` a `ValidationException` "Input is too long for requested model").
 */
export function bedrockErrorReply(kind: BedrockErrorKind): StatusReply {
  const [exception, status, message] = FOR_KIND[kind];
  return bedrockExceptionReply(exception, status, message);
}

/** Any Bedrock exception as an error answer (e.g. `ModelNotReadyException`, 429). */
export function bedrockExceptionReply(
  exception: string,
  status: number,
  message: string,
): StatusReply {
  return replies.status(
    status,
    { message },
    {
      'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': randomUUID(),
    },
  );
}
