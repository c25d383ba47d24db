import OpenAI from 'openai';
import * as errors7 from 'openai/error';
import OpenAI4 from 'openai-v4';
import { createResponseHeaders } from 'openai-v4/core';
import * as errors4 from 'openai-v4/error';
import OpenAI5 from 'openai-v5';
import * as errors5 from 'openai-v5/error';
import OpenAI6 from 'openai-v6';
import * as errors6 from 'openai-v6/error';

/** The error classes every openai major exports, as the tests use them. */
export type SdkErrors = typeof errors7 | typeof errors6 | typeof errors5 | typeof errors4;

/** One installed openai major: its client class, its error module and how it hands headers to errors. */
export interface SdkMajor {
  major: 4 | 5 | 6 | 7;
  OpenAI: typeof OpenAI | typeof OpenAI6 | typeof OpenAI5 | typeof OpenAI4;
  errors: SdkErrors;
  /** Response headers as this major stores them on its errors. */
  headers(record: Record<string, string>): Headers | Record<string, string>;
}

/** openai 4, 5, 6 and 7 as installed (4 to 6 as npm aliases). */
export const SDK_MAJORS: readonly SdkMajor[] = [
  {
    major: 4,
    OpenAI: OpenAI4,
    errors: errors4,
    // openai 4 types its fetch as node-fetch's; the shim passes the WHATWG Headers of Node's fetch.
    headers: (record) =>
      createResponseHeaders(
        new Headers(record) as unknown as Parameters<typeof createResponseHeaders>[0],
      ),
  },
  { major: 5, OpenAI: OpenAI5, errors: errors5, headers: (record) => new Headers(record) },
  { major: 6, OpenAI: OpenAI6, errors: errors6, headers: (record) => new Headers(record) },
  { major: 7, OpenAI, errors: errors7, headers: (record) => new Headers(record) },
];
